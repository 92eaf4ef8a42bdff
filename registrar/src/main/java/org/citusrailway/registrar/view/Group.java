package org.citusrailway.registrar.view;

import java.util.List;
import org.citusrailway.registrar.row.Failover;

/**
 * A node group of the high-availability variant as the registrar saw it: pg_dist_node's rows for the group joined with
 * each member's Patroni REST API.
 *
 * @param groupId      the Citus group (0 the coordinator)
 * @param primary      the member pg_dist_node names primary
 * @param members      every member of the group, primary first
 * @param lastFailover the group's last change of primary (Patroni's history), or null
 */
public record Group(int groupId, String primary, List<Member> members, Failover lastFailover) {

    /**
     * One member: Patroni's role and state for it, and for a standby how many bytes of WAL it has not yet replayed
     * (null for the primary, or when either did not answer).
     */
    public record Member(String name, String role, String state, long timeline, Long lagBytes, String error) {
    }

    /** Standbys that stream from the primary: commits are protected (quorum synchronous) only while there is one. */
    public int streamingStandbys() {
        return (int) members.stream().filter(m -> !m.name().equals(primary) && "streaming".equals(m.state())).count();
    }

    public long maxLagBytes() {
        return members.stream().filter(m -> m.lagBytes() != null).mapToLong(Member::lagBytes).max().orElse(0);
    }
}
