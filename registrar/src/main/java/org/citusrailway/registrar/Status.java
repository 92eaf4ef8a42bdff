package org.citusrailway.registrar;

import java.time.Instant;
import java.util.List;

/** An immutable picture of the registrar after a pass, published for /status. */
record Status(String role, boolean coordinatorReachable, String coordinatorError, Instant lastPassAt,
        long lastPassMillis, long passes, int candidatesChecked, List<Candidate> candidates, List<Node> nodes) {

    static final Status STARTING = new Status("starting", false, null, null, 0, 0, 0, List.of(), List.of());

    /** A candidate name that resolves now or did before. */
    record Candidate(String name, int port, List<String> addresses, String state, String reason, String lastError,
            Instant lastErrorAt) {
    }

    /** A pg_dist_node row with what the registrar saw of it; reachable is null when not checked. */
    record Node(int nodeId, int groupId, String name, int port, boolean isActive, boolean metadataSynced,
            boolean shouldHaveShards, String role, Boolean reachable, boolean retired, String lastError) {
    }

    Status withRole(String newRole, boolean reachable, String error) {
        return new Status(newRole, reachable, error, lastPassAt, lastPassMillis, passes, candidatesChecked, candidates,
                nodes);
    }

    String toJson() {
        Json json = new Json().beginObject()
                .field("role", role)
                .object("coordinator").field("reachable", coordinatorReachable).field("error", coordinatorError)
                .endObject()
                .field("lastPassAt", lastPassAt == null ? null : lastPassAt.toString())
                .field("lastPassDurationMs", lastPassMillis)
                .field("passes", passes)
                .field("candidatesChecked", candidatesChecked);
        json.beginArray("candidates");
        for (Candidate c : candidates) {
            json.beginObject().field("name", c.name()).field("port", c.port()).strings("addresses", c.addresses())
                    .field("state", c.state()).field("reason", c.reason()).field("lastError", c.lastError())
                    .field("lastErrorAt", c.lastErrorAt() == null ? null : c.lastErrorAt().toString()).endObject();
        }
        json.endArray().beginArray("nodes");
        for (Node n : nodes) {
            json.beginObject().field("nodeid", n.nodeId()).field("groupid", n.groupId()).field("nodename", n.name())
                    .field("nodeport", n.port()).field("isactive", n.isActive())
                    .field("metadatasynced", n.metadataSynced()).field("shouldhaveshards", n.shouldHaveShards())
                    .field("noderole", n.role()).field("reachable", n.reachable()).field("retired", n.retired())
                    .field("lastError", n.lastError()).endObject();
        }
        return json.endArray().endObject().toString();
    }
}
