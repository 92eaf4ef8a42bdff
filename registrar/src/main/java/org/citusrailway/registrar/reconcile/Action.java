package org.citusrailway.registrar.reconcile;

import org.citusrailway.registrar.name.HostPort;

/**
 * A write the pass plans: to the coordinator's metadata, or to the registrar's own tables. There is deliberately no removal or draining, and the only disabling is of a
 * worker whose data comes from another point in time than the coordinator's (restored to another point, or not
 * restored with the cluster): answering from it would be wrong, which is worse than not answering.
 */
public sealed interface Action {

    /** citus_set_coordinator_host: the coordinator's own row (group 0) is missing or names the wrong host/port. */
    record SetCoordinatorHost(HostPort coordinator) implements Action {
    }

    /** citus_add_node: a ready worker that is not registered. */
    record AddNode(HostPort worker) implements Action {
    }

    /** citus_activate_node: a registered, inactive worker that probes healthy. Uses the name as stored. */
    record ActivateNode(HostPort worker, String storedName) implements Action {
    }

    /** citus_disable_node: an active worker whose restore point differs from the coordinator's. Reversible. */
    record DisableNode(HostPort worker, String storedName) implements Action {
    }

    /** A row in citus_registrar.known_workers for a registered worker the table does not know yet. */
    record RememberWorker(HostPort worker, String serverId) implements Action {
    }

    /** A known worker that left pg_dist_node for good (retired, or its name no longer resolves): its row goes. */
    record ForgetWorker(HostPort worker) implements Action {
    }

    /** A known worker removed from pg_dist_node by hand while it still resolves: retired, so it is not re-added. */
    record RetireRemovedWorker(HostPort worker) implements Action {
    }
}
