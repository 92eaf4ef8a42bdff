package org.citusrailway.registrar.row;

import org.citusrailway.registrar.name.HostPort;

/**
 * A worker as a member of the cluster: as pg_dist_node has it ({@link NodeRow#member()}), or as the registrar wants
 * it. The two are compared with equals, and the writes of a pass are their difference.
 *
 * @param node       the name and port, normalized (how candidates and rows are matched)
 * @param storedName the name as pg_dist_node stores it (what citus_activate_node and citus_disable_node take)
 * @param active     isactive
 */
public record Member(HostPort node, String storedName, boolean active) {

    public Member withActive(boolean wanted) {
        return new Member(node, storedName, wanted);
    }
}
