package org.citusrailway.registrar.reconcile;

import java.util.List;
import java.util.Map;
import java.util.Set;
import org.citusrailway.registrar.name.HostPort;
import org.citusrailway.registrar.result.ProbeResult;
import org.citusrailway.registrar.result.RestoreTarget;
import org.citusrailway.registrar.row.NodeRow;

/**
 * Everything one pass learned, the input of {@link Reconciler#decide}.
 *
 * @param coordinator         what COORDINATOR_HOST/PORT say the coordinator's row must be
 * @param nodes               pg_dist_node
 * @param resolvable          candidates that resolved this pass, in candidate order
 * @param probes              authenticated probe results of this pass (unregistered and inactive workers only)
 * @param retired             names in citus_registrar.retired_workers, normalized
 * @param coordinatorVersion  the coordinator's citus extversion
 * @param coordinatorServerId the coordinator's Citus server_id
 * @param workerServerIds     server_id of registered workers (empty unless some new candidate reached the checks)
 * @param reinitialised       registered workers whose server_id differs from the one recorded at registration
 * @param coordinatorRestoredTo the restore point the coordinator was restored to, or null
 * @param restoreMismatch     registered workers probed this pass whose data is from another point in time than the
 *                            coordinator's ({@link RestoreTarget})
 */
public record ReconcileInput(HostPort coordinator, List<NodeRow> nodes, List<HostPort> resolvable,
        Map<HostPort, ProbeResult> probes, Set<String> retired, String coordinatorVersion, String coordinatorServerId,
        Map<HostPort, String> workerServerIds, Set<HostPort> reinitialised, String coordinatorRestoredTo,
        Set<HostPort> restoreMismatch) {
}
