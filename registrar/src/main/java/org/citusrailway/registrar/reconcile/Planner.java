package org.citusrailway.registrar.reconcile;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.citusrailway.registrar.name.HostPort;
import org.citusrailway.registrar.name.Resolution;
import org.citusrailway.registrar.report.Event;
import org.citusrailway.registrar.result.ProbeFailure;
import org.citusrailway.registrar.result.ProbeResult;
import org.citusrailway.registrar.result.RestoreTarget;
import org.citusrailway.registrar.row.NodeRow;

/**
 * A pass's decision, one call per pass ({@link #plan}): a pure function of what was observed and what is remembered,
 * giving the writes to make and what their outcomes will mean ({@link Plan#settle}). Like Patroni's Citus support, the
 * writes are the difference between the members wanted and pg_dist_node's ({@link Reconciler}). What to observe
 * before planning is {@link Targets}'s; no I/O here: {@code Pass} observes, applies and publishes.
 */
public final class Planner {
    private final List<HostPort> candidates;
    private final WorkerMemory.Rules rules;

    public Planner(List<HostPort> candidates, WorkerMemory.Rules rules) {
        this.candidates = List.copyOf(candidates);
        this.rules = rules;
    }

    public List<HostPort> candidates() {
        return candidates;
    }

    /** The decision of a pass: what to write, the memory and effects of deciding, and what the outcomes mean. */
    public Plan plan(Snapshot s, LeaderState memory) {
        LeaderState.Draft d = new LeaderState.Draft(memory);
        List<PassEffect> out = new ArrayList<>();
        List<Action> bookkeeping = new ArrayList<>();
        Map<HostPort, NodeRow> registered = registered(s.nodes());

        Removals removals = Removals.of(registered, s.retired(), s.resolutions(), d.known);
        Set<String> retired = new HashSet<>(s.retired());
        retired.addAll(removals.retired());
        for (HostPort worker : removals.forgotten().keySet()) {
            bookkeeping.add(new Action.ForgetWorker(worker));
            d.known = d.known.dropped(worker);
            out.add(PassEffect.Log.info(Event.WORKER_FORGOTTEN, removals.forgotten().get(worker), "worker", worker));
        }
        for (HostPort worker : removals.removedByUser()) {
            bookkeeping.add(new Action.RetireRemovedWorker(worker));
            d.known = d.known.dropped(worker);
            out.add(new PassEffect.RemovedByUser());
            out.add(PassEffect.Log.warn(Event.WORKER_REMOVED_BY_USER, "worker " + worker + " was removed from"
                    + " pg_dist_node outside the registrar while it still resolves; recorded in"
                    + " citus_registrar.retired_workers ('" + KnownWorkers.REMOVED_NOTE + "') and never re-added"
                    + " automatically. To bring it back: DELETE FROM citus_registrar.retired_workers WHERE nodename = '"
                    + worker.host() + "';", "worker", worker));
        }

        List<HostPort> resolvable = new ArrayList<>();
        for (HostPort candidate : candidates) {
            if (registered.containsKey(candidate)) {
                continue;
            }
            Resolution resolution = s.resolutions().get(candidate.host());
            if (resolution.resolved() || d.workers.containsKey(candidate)) {
                d.put(d.worker(candidate).resolved(resolution, out));
            }
            if (resolution.resolved()) {
                resolvable.add(candidate);
            }
        }

        for (NodeRow row : registered.values()) {
            if (row.active() && Boolean.FALSE.equals(s.alive().get(row.key()))) {
                d.known = d.known.lost(row.key());
            }
        }
        s.verified().forEach((worker, result) -> {
            if (result instanceof ProbeResult.Reached reached) {
                compareIdentity(d, worker, reached.serverId(), s, bookkeeping, out);
            }
        });
        Set<HostPort> restoreMismatch = restoreMismatches(registered, s, d.known);
        d.disableRefused.removeIf(worker -> s.verified().containsKey(worker) && !restoreMismatch.contains(worker));

        s.probes().forEach((worker, result) -> {
            if (result instanceof ProbeResult.Failed failed) {
                d.put(d.worker(worker).probeFailed(failed.reason(), failed.detail(), rules, s.now(), s.at(), out));
            } else if (result instanceof ProbeResult.Reached reached) {
                d.put(d.worker(worker).probePassed());
                if (registered.containsKey(worker)) {
                    compareIdentity(d, worker, reached.serverId(), s, bookkeeping, out);
                }
            }
        });

        Decision decision = Reconciler.decide(new ReconcileInput(s.coordinator(), s.nodes(), resolvable, s.probes(),
                retired, s.coordinatorVersion(), s.coordinatorServerId(), s.workerServerIds(),
                d.known.reinitialised().keySet(), s.coordinatorRestoredTo(), restoreMismatch));
        boolean reread = false;
        for (Map.Entry<HostPort, ProbeFailure> rejected : decision.rejected().entrySet()) {
            HostPort worker = rejected.getKey();
            ProbeFailure reason = rejected.getValue();
            d.put(d.worker(worker).probeFailed(reason, rejectionDetail(reason, s.probes().get(worker), s), rules,
                    s.now(), s.at(), out));
            reread |= reason == ProbeFailure.CITUS_VERSION_MISMATCH; // the coordinator may have been upgraded
        }
        decision.retired().forEach(worker -> d.put(d.worker(worker).retired(out)));

        List<Action> actions = new ArrayList<>(bookkeeping);
        for (Action action : decision.actions()) {
            actions.add(action);
            // The server_id the probe saw is recorded right after the add (skipped when the add fails).
            if (action instanceof Action.AddNode add && s.probes().get(add.worker()) instanceof ProbeResult.Reached
                    reached && reached.serverId() != null) {
                actions.add(new Action.RememberWorker(add.worker(), reached.serverId()));
            }
        }
        return new Plan(List.copyOf(actions), Set.copyOf(retired), d.memory(memory.watch()), List.copyOf(out),
                reread, s, rules);
    }

    /**
     * Compares the server_id a registered worker answers with against the recorded one; records it when the worker
     * is not known yet (registered before the table existed, or by hand).
     */
    private void compareIdentity(LeaderState.Draft d, HostPort worker, String serverId, Snapshot s,
            List<Action> bookkeeping, List<PassEffect> out) {
        if (serverId == null || serverId.isEmpty()) {
            return;
        }
        if (!d.known.knows(worker)) {
            bookkeeping.add(new Action.RememberWorker(worker, serverId));
            d.known = d.known.remembered(worker, serverId, s.coordinatorRestoredTo());
        }
        d.known = d.known.compared(worker, serverId);
        if (d.known.isReinitialised(worker)) {
            d.put(d.worker(worker).reinitialised(d.known.recordedId(worker), serverId, rules, s.now(), s.at(), out));
        } else if (d.workers.containsKey(worker)) {
            d.put(d.workers.get(worker).identityConfirmed());
        }
    }

    /** Registered workers probed this pass (inactive ones, and active ones being verified) from another time. */
    private static Set<HostPort> restoreMismatches(Map<HostPort, NodeRow> registered, Snapshot s, KnownWorkers known) {
        Set<HostPort> mismatched = new HashSet<>();
        Map<HostPort, ProbeResult> seen = new HashMap<>(s.probes());
        seen.putAll(s.verified());
        seen.forEach((worker, result) -> {
            if (registered.containsKey(worker) && result instanceof ProbeResult.Reached reached
                    && reached.citusVersion() != null && RestoreTarget.mismatch(s.coordinatorRestoredTo(),
                            reached.restoredTo(), known.knows(worker), known.seenUnder(worker))) {
                mismatched.add(worker);
            }
        });
        return mismatched;
    }

    static String restoreDetail(Snapshot s) {
        return s.coordinatorRestoredTo() == null ? "the coordinator was not restored"
                : "the coordinator was restored to '" + s.coordinatorRestoredTo() + "'; set BACKUP_RESTORE_POINT="
                        + s.coordinatorRestoredTo() + " on the worker";
    }

    private static String rejectionDetail(ProbeFailure reason, ProbeResult result, Snapshot s) {
        if (reason == ProbeFailure.CITUS_VERSION_MISMATCH && result instanceof ProbeResult.Reached reached) {
            return "worker has citus " + reached.citusVersion() + ", coordinator has " + s.coordinatorVersion();
        }
        if (reason == ProbeFailure.RESTORE_POINT_MISMATCH && result instanceof ProbeResult.Reached reached) {
            return reached.restoredTo() == null ? "not restored with the cluster; " + restoreDetail(s)
                    : "restored to '" + reached.restoredTo() + "'; " + restoreDetail(s);
        }
        return switch (reason) {
            case CITUS_MISSING -> "the citus extension is not created in POSTGRES_DB on the worker";
            case IS_COORDINATOR -> "this name leads to the coordinator itself";
            case DUPLICATE_SERVER_ID -> "same Citus server_id as a registered node or another candidate";
            default -> null;
        };
    }

    static Map<HostPort, NodeRow> registered(List<NodeRow> nodes) {
        Map<HostPort, NodeRow> registered = new LinkedHashMap<>();
        for (NodeRow row : nodes) {
            if (!row.isCoordinator()) {
                registered.put(row.key(), row);
            }
        }
        return registered;
    }
}
