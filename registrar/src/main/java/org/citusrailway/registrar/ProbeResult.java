package org.citusrailway.registrar;

/** What an authenticated probe of a worker saw. */
sealed interface ProbeResult {

    /** Connected to POSTGRES_DB; citusVersion is null when the extension is not created there. */
    record Reached(String citusVersion, String serverId) implements ProbeResult {
    }

    record Failed(ProbeFailure reason, String detail) implements ProbeResult {
    }
}
