package org.citusrailway.registrar;

/** One row of the coordinator's pg_dist_node, as far as the registrar cares. */
record NodeRow(int nodeId, int groupId, String name, int port, boolean active, String role, boolean metadataSynced,
        boolean shouldHaveShards) {

    static final int COORDINATOR_GROUP = 0;

    boolean isCoordinator() {
        return groupId == COORDINATOR_GROUP;
    }

    boolean isPrimary() {
        return "primary".equals(role);
    }

    /** The key candidates are compared by: DNS names are case-insensitive. */
    HostPort key() {
        return new HostPort(DnsName.normalize(name), port);
    }
}
