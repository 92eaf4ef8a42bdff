package org.citusrailway.registrar.row;

import org.citusrailway.registrar.name.DnsName;
import org.citusrailway.registrar.name.HostPort;

/** One row of the coordinator's pg_dist_node, as far as the registrar cares. */
public record NodeRow(int nodeId, int groupId, String name, int port, boolean active, String role, boolean metadataSynced,
        boolean shouldHaveShards) {

    static final int COORDINATOR_GROUP = 0;

    public boolean isCoordinator() {
        return groupId == COORDINATOR_GROUP;
    }

    public boolean isPrimary() {
        return "primary".equals(role);
    }

    public Member member() {
        return new Member(key(), name, active);
    }

    /** The key candidates are compared by: DNS names are case-insensitive. */
    public HostPort key() {
        return new HostPort(DnsName.normalize(name), port);
    }
}
