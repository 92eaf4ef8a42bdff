package org.citusrailway.registrar.reconcile;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
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
import org.citusrailway.registrar.row.Member;
import org.citusrailway.registrar.row.NodeRow;

/**
 * The decision of a pass as a pure function: the members wanted (what was discovered and probed healthy) diffed
 * against the members pg_dist_node has, compared as {@link Member}s. It adds and activates; a worker that disappears
 * is reported elsewhere, never removed, a worker whose data directory was re-initialised is never activated, and a
 * worker whose data is from another point in time than the coordinator's (after a restore) is never activated and, if
 * active, disabled.
 */
public final class Reconciler {
    private Reconciler() {
    }

    public static Decision decide(ReconcileInput o) {
        Map<HostPort, ProbeFailure> rejected = new LinkedHashMap<>();
        Set<HostPort> retired = new LinkedHashSet<>();
        Set<HostPort> reinitialised = new LinkedHashSet<>();

        NodeRow coordinatorRow = null;
        Set<HostPort> registeredNames = new HashSet<>();
        Map<HostPort, Member> registered = new LinkedHashMap<>();
        for (NodeRow row : o.nodes()) {
            if (row.isCoordinator()) {
                if (row.isPrimary()) {
                    coordinatorRow = row;
                }
            } else {
                registeredNames.add(row.key());
                if (row.isPrimary()) {
                    registered.put(row.key(), row.member());
                }
            }
        }
        List<Action> actions = new ArrayList<>();
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

        // The members wanted: new candidates that probe healthy, in candidate order, then registered workers whose
        // state should change, in pg_dist_node's order. Every other registered worker stays as it is.
        Map<HostPort, Member> wanted = new LinkedHashMap<>();
        for (HostPort candidate : o.resolvable()) {
            if (registeredNames.contains(candidate)) {
                continue;
            }
            if (o.retired().contains(candidate.host())) {
                retired.add(candidate);
                continue;
            }
            if (o.probes().get(candidate) instanceof ProbeResult.Reached reached) {
                ProbeFailure problem = check(reached, candidate, o, owners);
                if (problem == null) {
                    wanted.put(candidate, new Member(candidate, candidate.host(), true));
                    if (reached.serverId() != null) {
                        owners.put(reached.serverId(), candidate);
                    }
                } else {
                    rejected.put(candidate, problem);
                }
            }
        }
        for (Member member : registered.values()) {
            HostPort key = member.node();
            if (member.active()) {
                if (o.restoreMismatch().contains(key)) {
                    wanted.put(key, member.withActive(false));
                }
                continue;
            }
            if (o.retired().contains(key.host())) {
                retired.add(key);
            } else if (o.reinitialised().contains(key)) {
                reinitialised.add(key); // activating it would hand Citus an empty node in place of its shards
            } else if (o.restoreMismatch().contains(key)) {
                rejected.put(key, ProbeFailure.RESTORE_POINT_MISMATCH);
            } else if (o.probes().get(key) instanceof ProbeResult.Reached reached) {
                ProbeFailure problem = check(reached, key, o, owners);
                if (problem == null) {
                    wanted.put(key, member.withActive(true));
                } else {
                    rejected.put(key, problem);
                }
            }
        }
        actions.addAll(difference(registered, wanted));
        return new Decision(List.copyOf(actions), Map.copyOf(rejected), Set.copyOf(retired),
                Set.copyOf(reinitialised));
    }

    /** The writes that turn the registered members into the wanted ones: additions, then disabling, then activations. */
    static List<Action> difference(Map<HostPort, Member> registered, Map<HostPort, Member> wanted) {
        List<Action> additions = new ArrayList<>();
        List<Action> disables = new ArrayList<>();
        List<Action> activations = new ArrayList<>();
        for (Member want : wanted.values()) {
            Member has = registered.get(want.node());
            if (want.equals(has)) {
                continue;
            }
            if (has == null) {
                additions.add(new Action.AddNode(want.node()));
            } else if (want.active()) {
                activations.add(new Action.ActivateNode(want.node(), has.storedName()));
            } else {
                disables.add(new Action.DisableNode(want.node(), has.storedName()));
            }
        }
        List<Action> actions = new ArrayList<>(additions);
        actions.addAll(disables);
        actions.addAll(activations);
        return actions;
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
