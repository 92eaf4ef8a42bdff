package org.citusrailway.registrar;

/** A change to the coordinator's metadata. There is deliberately no removal, disabling or draining. */
sealed interface Action {

    /** citus_set_coordinator_host: the coordinator's own row (group 0) is missing or names the wrong host/port. */
    record SetCoordinatorHost(HostPort coordinator) implements Action {
    }

    /** citus_add_node: a ready worker that is not registered. */
    record AddNode(HostPort worker) implements Action {
    }

    /** citus_activate_node: a registered, inactive worker that probes healthy. Uses the name as stored. */
    record ActivateNode(HostPort worker, String storedName) implements Action {
    }
}
