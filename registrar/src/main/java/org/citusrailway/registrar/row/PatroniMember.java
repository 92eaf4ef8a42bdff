package org.citusrailway.registrar.row;

/**
 * What one member's Patroni REST API said of it (GET /patroni), in the high-availability variant.
 *
 * @param node        the member as pg_dist_node names it
 * @param role        primary, replica, ... (Patroni's words), or null when the member did not answer
 * @param state       running, streaming, starting, stopped, ...
 * @param timeline    the PostgreSQL timeline (one more after each promotion), or 0
 * @param walPosition a primary's current WAL position, a standby's replayed position, in bytes
 * @param error       why the member could not be asked, or null
 */
public record PatroniMember(String node, String role, String state, long timeline, long walPosition, String error) {

    public static PatroniMember unreachable(String node, String error) {
        return new PatroniMember(node, null, null, 0, 0, error);
    }

    public boolean isPrimary() {
        return "primary".equals(role) || "master".equals(role);
    }
}
