package org.citusrailway.registrar.reconcile;

import org.citusrailway.registrar.config.HostPort;

/**
 * A change to the coordinator's metadata. There is deliberately no removal or draining, and the only disabling is of a
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
}
