package org.citusrailway.registrar.result;

/** What an authenticated probe of a worker saw. */
public sealed interface ProbeResult {

    /**
     * Connected to POSTGRES_DB; citusVersion is null when the extension is not created there. restoredTo: the restore
     * point the node's volume was restored to (citus_node.restored_to), null when never restored.
     */
    record Reached(String citusVersion, String serverId, String restoredTo) implements ProbeResult {
        public Reached(String citusVersion, String serverId) {
            this(citusVersion, serverId, null);
        }
    }

    record Failed(ProbeFailure reason, String detail) implements ProbeResult {
    }
}
