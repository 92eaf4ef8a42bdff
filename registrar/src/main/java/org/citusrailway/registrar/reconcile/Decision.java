package org.citusrailway.registrar.reconcile;

import java.util.List;
import java.util.Map;
import java.util.Set;
import org.citusrailway.registrar.name.HostPort;
import org.citusrailway.registrar.result.ProbeFailure;

/**
 * What to do this pass, and why some reachable workers are left alone.
 *
 * @param actions  in order: coordinator row first, then additions, then disabling, then activations
 * @param rejected workers that connected but failed a check (citus missing, version, coordinator, duplicate)
 * @param retired  workers skipped because a user retired them
 * @param reinitialised inactive workers not activated because their data directory was re-initialised
 */
public record Decision(List<Action> actions, Map<HostPort, ProbeFailure> rejected, Set<HostPort> retired,
        Set<HostPort> reinitialised) {
}
