package org.citusrailway.registrar.reconcile;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.citusrailway.registrar.name.HostPort;
import org.citusrailway.registrar.name.Resolution;
import org.citusrailway.registrar.result.ProbeResult;
import org.citusrailway.registrar.row.NodeRow;

/**
 * What one pass observed, the input of {@link Planner#plan}. Immutable.
 *
 * @param now                   when the probes had finished (System.nanoTime); {@code at} is the same moment
 * @param coordinator           what COORDINATOR_HOST/PORT say the coordinator's row must be
 * @param coordinatorVersion    the coordinator's citus extversion
 * @param coordinatorServerId   the coordinator's Citus server_id
 * @param coordinatorRestoredTo the restore point the coordinator was restored to, or null
 * @param nodes                 pg_dist_node
 * @param retired               names in citus_registrar.retired_workers, normalized
 * @param resolutions           this pass's lookups: candidates, registered and known workers
 * @param probes                authenticated probes of unregistered candidates and inactive registered workers
 * @param alive                 TCP checks of active registered workers
 * @param verified              authenticated probes of active registered workers whose server_id is compared
 * @param workerServerIds       server_id of registered workers (read only when a new candidate reached the checks)
 * @param triggeredBy           the watched worker whose readiness started this pass, or null (a scheduled pass)
 */
public record Snapshot(long now, Instant at, HostPort coordinator, String coordinatorVersion,
        String coordinatorServerId, String coordinatorRestoredTo, List<NodeRow> nodes, Set<String> retired,
        Map<String, Resolution> resolutions, Map<HostPort, ProbeResult> probes, Map<HostPort, Boolean> alive,
        Map<HostPort, ProbeResult> verified, Map<HostPort, String> workerServerIds, HostPort triggeredBy) {
}
