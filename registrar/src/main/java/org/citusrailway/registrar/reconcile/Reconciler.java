package org.citusrailway.registrar.reconcile;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.citusrailway.registrar.name.HostPort;
import org.citusrailway.registrar.result.ProbeFailure;
import org.citusrailway.registrar.result.ProbeResult;
import org.citusrailway.registrar.result.RestoreTarget;
import org.citusrailway.registrar.row.NodeRow;

/**
 * The decision of a pass as a pure function: desired state (what was discovered and probed healthy) diffed against
 * pg_dist_node. It adds and activates; a worker that disappears is reported elsewhere, never removed, a worker whose
 * data directory was re-initialised is never activated, and a worker whose data is from another point in time than
 * the coordinator's (after a restore) is never activated and, if active, disabled.
 */
public final class Reconciler {
    private Reconciler() {
    }

    public static Decision decide(ReconcileInput o) {
        List<Action> actions = new ArrayList<>();
        Map<HostPort, ProbeFailure> rejected = new LinkedHashMap<>();
        Set<HostPort> retired = new LinkedHashSet<>();
        Set<HostPort> reinitialised = new LinkedHashSet<>();

        NodeRow coordinatorRow = null;
        Map<HostPort, NodeRow> registered = new HashMap<>();
        for (NodeRow row : o.nodes()) {
            if (row.isCoordinator()) {
                if (row.isPrimary()) {
                    coordinatorRow = row;
                }
            } else {
                registered.put(row.key(), row);
            }
        }
        if (coordinatorRow == null || !coordinatorRow.key().equals(o.coordinator())) {
            actions.add(new Action.SetCoordinatorHost(o.coordinator()));
        }

        // Which node owns which server_id, so that a second name for an existing node is not added again.
        Map<String, HostPort> owners = new HashMap<>(o.workerServerIds().size() * 2 + 2);
        o.workerServerIds().forEach((worker, id) -> {
            if (id != null && !id.isEmpty()) {
                owners.putIfAbsent(id, worker);
            }
        });

        List<Action> activations = new ArrayList<>();
        for (HostPort candidate : o.resolvable()) {
            if (registered.containsKey(candidate)) {
                continue;
            }
            if (o.retired().contains(candidate.host())) {
                retired.add(candidate);
                continue;
            }
            if (o.probes().get(candidate) instanceof ProbeResult.Reached reached) {
                ProbeFailure problem = check(reached, candidate, o, owners);
                if (problem == null) {
                    actions.add(new Action.AddNode(candidate));
                    if (reached.serverId() != null) {
                        owners.put(reached.serverId(), candidate);
                    }
                } else {
                    rejected.put(candidate, problem);
                }
            }
        }
        List<Action> disables = new ArrayList<>();
        for (NodeRow row : o.nodes()) {
            if (!row.isCoordinator() && row.active() && row.isPrimary() && o.restoreMismatch().contains(row.key())) {
                disables.add(new Action.DisableNode(row.key(), row.name()));
            }
            if (row.isCoordinator() || row.active() || !row.isPrimary()) {
                continue;
            }
            HostPort key = row.key();
            if (o.retired().contains(key.host())) {
                retired.add(key);
                continue;
            }
            if (o.reinitialised().contains(key)) {
                // Activating it would hand Citus an empty node in place of its shards.
                reinitialised.add(key);
                continue;
            }
            if (o.restoreMismatch().contains(key)) {
                rejected.put(key, ProbeFailure.RESTORE_POINT_MISMATCH);
                continue;
            }
            if (o.probes().get(key) instanceof ProbeResult.Reached reached) {
                ProbeFailure problem = check(reached, key, o, owners);
                if (problem == null) {
                    activations.add(new Action.ActivateNode(key, row.name()));
                } else {
                    rejected.put(key, problem);
                }
            }
        }
        actions.addAll(disables);
        actions.addAll(activations);
        return new Decision(List.copyOf(actions), Map.copyOf(rejected), Set.copyOf(retired), Set.copyOf(reinitialised));
    }

    private static ProbeFailure check(ProbeResult.Reached reached, HostPort self, ReconcileInput o,
            Map<String, HostPort> owners) {
        if (reached.citusVersion() == null) {
            return ProbeFailure.CITUS_MISSING;
        }
        if (o.coordinatorVersion() != null && !o.coordinatorVersion().equals(reached.citusVersion())) {
            return ProbeFailure.CITUS_VERSION_MISMATCH;
        }
        String id = reached.serverId();
        if (id != null && id.equals(o.coordinatorServerId())) {
            return ProbeFailure.IS_COORDINATOR;
        }
        HostPort owner = id == null ? null : owners.get(id);
        if (owner != null && !Objects.equals(owner, self)) {
            return ProbeFailure.DUPLICATE_SERVER_ID;
        }
        if (RestoreTarget.mismatch(o.coordinatorRestoredTo(), reached.restoredTo())) {
            return ProbeFailure.RESTORE_POINT_MISMATCH;
        }
        return null;
    }
}
