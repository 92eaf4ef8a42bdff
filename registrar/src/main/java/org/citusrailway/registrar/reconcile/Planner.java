package org.citusrailway.registrar.reconcile;

import java.net.InetAddress;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.citusrailway.registrar.name.HostPort;
import org.citusrailway.registrar.name.Resolution;
import org.citusrailway.registrar.probe.ReadinessWatch;
import org.citusrailway.registrar.report.Event;
import org.citusrailway.registrar.result.ProbeFailure;
import org.citusrailway.registrar.result.ProbeResult;
import org.citusrailway.registrar.result.RestoreTarget;
import org.citusrailway.registrar.row.NodeRow;

/**
 * Every decision of a pass, as pure functions of what was observed and what is remembered: which names to look up,
 * which workers to probe, what to write ({@link #plan}), and what follows from how the writes went
 * ({@link #afterWrites}). No I/O here; {@code Pass} observes, applies and publishes.
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

    /** Workers to probe with authentication, and registered active workers to check with a TCP connect. */
    public record Targets(List<HostPort> probe, List<NodeRow> check) {
    }

    /** Every name worth a lookup: the candidates, registered workers and workers the registrar knows. */
    public Set<String> names(List<NodeRow> nodes, LeaderState memory) {
        Set<String> names = new LinkedHashSet<>();
        candidates.forEach(candidate -> names.add(candidate.host()));
        for (NodeRow row : nodes) {
            if (!row.isCoordinator()) {
                names.add(row.key().host());
            }
        }
        for (HostPort worker : memory.known().rows().keySet()) {
            names.add(worker.host());
        }
        return names;
    }

    /**
     * Unregistered candidates that resolve and inactive registered workers are probed (unless retired, or backing
     * off after a failure); active registered workers get a TCP check.
     */
    public Targets targets(List<NodeRow> nodes, Set<String> retired, Map<String, Resolution> resolutions,
            LeaderState memory, long now) {
        Map<HostPort, NodeRow> registered = registered(nodes);
        Set<String> retiredNow = new HashSet<>(retired);
        retiredNow.addAll(removals(registered, retired, resolutions, memory.known()).retired());
        List<HostPort> probe = new ArrayList<>();
        for (HostPort candidate : candidates) {
            if (!registered.containsKey(candidate) && resolutions.get(candidate.host()).resolved()
                    && !retiredNow.contains(candidate.host()) && memory.due(candidate, now)) {
                probe.add(candidate);
            }
        }
        List<NodeRow> check = new ArrayList<>();
        for (NodeRow row : registered.values()) {
            HostPort key = row.key();
            if (!row.isPrimary()) {
                continue;
            }
            if (row.active()) {
                check.add(row);
            } else if (!retiredNow.contains(key.host()) && resolutions.get(key.host()).resolved()
                    && memory.due(key, now)) {
                probe.add(key);
            }
        }
        return new Targets(List.copyOf(probe), List.copyOf(check));
    }

    /**
     * Active workers that answered TCP and have not had their server_id compared since leadership started or since
     * they were last lost: one authenticated probe each.
     */
    public List<HostPort> identityChecks(List<NodeRow> checked, Map<HostPort, Boolean> alive, LeaderState memory,
            long now) {
        List<HostPort> verify = new ArrayList<>();
        for (NodeRow row : checked) {
            HostPort key = row.key();
            if (Boolean.TRUE.equals(alive.get(key)) && memory.known().needsVerification(key) && memory.due(key, now)) {
                verify.add(key);
            }
        }
        return verify;
    }

    /** The registered workers' server_ids are needed when a new candidate reached the checks. */
    public static boolean needsServerIds(List<NodeRow> nodes, Map<HostPort, ProbeResult> probes) {
        if (probes.isEmpty()) {
            return false;
        }
        Map<HostPort, NodeRow> registered = registered(nodes);
        return probes.entrySet().stream().anyMatch(e -> !registered.containsKey(e.getKey())
                && e.getValue() instanceof ProbeResult.Reached reached && reached.citusVersion() != null);
    }

    /** The decision of a pass: what to write, and the memory and effects of deciding. */
    public Plan plan(Snapshot s, LeaderState memory) {
        LeaderState.Draft d = new LeaderState.Draft(memory);
        List<PassEffect> out = new ArrayList<>();
        List<Action> bookkeeping = new ArrayList<>();
        Map<HostPort, NodeRow> registered = registered(s.nodes());

        Removals removals = removals(registered, s.retired(), s.resolutions(), d.known);
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
                reread);
    }

    /**
     * What follows from how the actions went, and from this pass's checks of registered workers (lost, recovered),
     * against pg_dist_node as it is after the actions: the next memory, effects, and the workers to watch.
     */
    public Plan.AfterWrites afterWrites(Snapshot s, Plan plan, List<Plan.Outcome> outcomes, List<NodeRow> nodes,
            long now, Instant at) {
        LeaderState.Draft d = new LeaderState.Draft(plan.memory());
        List<PassEffect> out = new ArrayList<>();
        Set<HostPort> retrySoon = new HashSet<>();
        boolean nudge = false;
        for (Plan.Outcome outcome : outcomes) {
            switch (outcome) {
                case Plan.Outcome.Applied applied -> nudge |= applied(d, applied.action(), plan, s, out);
                case Plan.Outcome.Failed failed -> {
                    HostPort worker = failed(d, failed, s, now, at, out);
                    if (worker != null && d.worker(worker).retrySoon()) {
                        retrySoon.add(worker);
                    }
                }
            }
        }

        int active = 0;
        int inactive = 0;
        int lost = 0;
        List<HostPort> unreachable = new ArrayList<>();
        for (NodeRow row : nodes) {
            if (row.isCoordinator()) {
                continue;
            }
            Boolean up = s.alive().get(row.key());
            if (up != null) {
                Resolution resolution = s.resolutions().get(row.key().host());
                String problem = resolution != null && !resolution.resolved()
                        ? "does not resolve (" + resolution.problem() + ")" : "does not accept TCP connections";
                d.put(d.worker(row.key()).liveness(up, problem, rules, now, at, out));
            }
            if (up != null && !up && row.active()) {
                unreachable.add(row.key()); // a rebalance now would fail, lost or not
            }
            if (!row.active()) {
                inactive++;
            } else if (d.workers.containsKey(row.key()) && d.workers.get(row.key()).lost()) {
                lost++;
            } else {
                active++;
            }
        }
        List<ReadinessWatch.Target> watch = watch(s, plan.memory().watch(), retrySoon);
        return new Plan.AfterWrites(d.memory(watch), List.copyOf(out), nudge, active, inactive, lost,
                List.copyOf(unreachable));
    }

    private boolean applied(LeaderState.Draft d, Action action, Plan plan, Snapshot s, List<PassEffect> out) {
        switch (action) {
            case Action.SetCoordinatorHost set -> {
                out.add(PassEffect.Log.info(Event.COORDINATOR_HOST_SET, "coordinator row set to " + set.coordinator()
                        + " (citus_set_coordinator_host)", "coordinator", set.coordinator()));
                return false;
            }
            case Action.AddNode add -> d.put(d.worker(add.worker()).added(out));
            case Action.ActivateNode activate -> d.put(d.worker(activate.worker()).activated(out));
            case Action.DisableNode disable -> {
                d.disableRefused.remove(disable.worker());
                d.known = d.known.lost(disable.worker()); // compared again when it is restored and comes back
                out.add(PassEffect.Log.warn(Event.WORKER_RESTORE_MISMATCH, "worker " + disable.worker() + " was"
                        + " disabled: its data is from another point in time than the coordinator's ("
                        + restoreDetail(s) + "); queries that need its shards fail until it is restored to the same"
                        + " point, then it is activated again", "worker", disable.worker(), "coordinatorRestoredTo",
                        s.coordinatorRestoredTo()));
            }
            case Action.RememberWorker remember -> {
                if (!d.known.knows(remember.worker())) { // one just added; a known one was taken in when planned
                    d.known = d.known.remembered(remember.worker(), remember.serverId(), s.coordinatorRestoredTo());
                }
                return false;
            }
            case Action.ForgetWorker ignored -> {
                return false;
            }
            case Action.RetireRemovedWorker ignored -> {
                return false;
            }
        }
        return true;
    }

    /** Returns the worker whose add/activate failed, or null. */
    private HostPort failed(LeaderState.Draft d, Plan.Outcome.Failed failed, Snapshot s, long now, Instant at,
            List<PassEffect> out) {
        String error = failed.error();
        switch (failed.action()) {
            case Action.SetCoordinatorHost set -> out.add(PassEffect.Log.warn(Event.COORDINATOR_HOST_FAILED,
                    "citus_set_coordinator_host(" + set.coordinator() + ") failed: " + error,
                    "coordinator", set.coordinator(), "error", error));
            case Action.AddNode add -> {
                d.put(d.worker(add.worker()).actionFailed(Event.WORKER_ADD_FAILED, "citus_add_node", error,
                        failed.transientFailure(), rules, now, at, out));
                return add.worker();
            }
            case Action.ActivateNode activate -> {
                d.put(d.worker(activate.worker()).actionFailed(Event.WORKER_ACTIVATE_FAILED, "citus_activate_node",
                        error, failed.transientFailure(), rules, now, at, out));
                return activate.worker();
            }
            case Action.DisableNode disable -> {
                if (d.disableRefused.add(disable.worker())) {
                    out.add(PassEffect.Log.warn(Event.WORKER_DISABLE_FAILED, "worker " + disable.worker() + " has data"
                            + " from another point in time than the coordinator's (" + restoreDetail(s) + "), but"
                            + " citus_disable_node failed: " + error + ". Queries may return data from two points in"
                            + " time until it is restored to the coordinator's point", "worker", disable.worker(),
                            "error", error));
                }
            }
            case Action.RememberWorker ignored -> {
            }
            case Action.ForgetWorker ignored -> {
            }
            case Action.RetireRemovedWorker ignored -> {
            }
        }
        return null;
    }

    /** Known workers missing from pg_dist_node, by what becomes of them. */
    record Removals(Map<HostPort, String> forgotten, List<HostPort> removedByUser) {
        Set<String> retired() {
            Set<String> names = new HashSet<>();
            removedByUser.forEach(worker -> names.add(worker.host()));
            return names;
        }
    }

    /**
     * Retired ones went the documented way and are forgotten; one that still resolves was removed by hand and is
     * retired so it is not re-added behind the user's back; one that no longer resolves is gone for good and
     * forgotten (if its name comes back, it is a new worker). A lookup timeout decides nothing.
     */
    private static Removals removals(Map<HostPort, NodeRow> registered, Set<String> retired,
            Map<String, Resolution> resolutions, KnownWorkers known) {
        Map<HostPort, String> forgotten = new LinkedHashMap<>();
        List<HostPort> removedByUser = new ArrayList<>();
        for (HostPort worker : known.all()) {
            if (registered.containsKey(worker)) {
                continue;
            }
            Resolution resolution = resolutions.get(worker.host());
            if (retired.contains(worker.host())) {
                forgotten.put(worker, "worker " + worker + " is retired and no longer in pg_dist_node; forgotten");
            } else if (resolution != null && resolution.fresh()) {
                removedByUser.add(worker);
            } else if (resolution != null && Resolution.NOT_FOUND.equals(resolution.problem())) {
                forgotten.put(worker, "worker " + worker + " left pg_dist_node and no longer resolves; forgotten (a"
                        + " worker that appears later under this name is treated as new)");
            }
        }
        return new Removals(forgotten, removedByUser);
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

    /**
     * Resolving workers (unregistered candidates or inactive registered ones) whose probe failed cheaply in this
     * pass, and those whose add/activate failed transiently: worth watching until the next pass.
     */
    private static List<ReadinessWatch.Target> watch(Snapshot s, List<ReadinessWatch.Target> watched,
            Set<HostPort> retrySoon) {
        Set<HostPort> wasWatched = new HashSet<>();
        for (ReadinessWatch.Target target : watched) {
            if (target.mode() != ReadinessWatch.Mode.SLOW_PROBE) {
                wasWatched.add(target.worker());
            }
        }
        List<ReadinessWatch.Target> targets = new ArrayList<>();
        s.probes().forEach((worker, result) -> {
            ReadinessWatch.Mode mode = retrySoon.contains(worker) ? ReadinessWatch.Mode.TCP : null;
            if (result instanceof ProbeResult.Failed failed) {
                if (!failed.reason().costly()) {
                    mode = failed.reason() == ProbeFailure.STARTING_UP ? ReadinessWatch.Mode.PROBE
                            : ReadinessWatch.Mode.TCP;
                }
            } else if (result instanceof ProbeResult.Reached reached && reached.citusVersion() == null
                    && wasWatched.contains(worker)) {
                mode = ReadinessWatch.Mode.SLOW_PROBE; // it just came up; its citus extension may follow in a moment
            }
            if (mode == ReadinessWatch.Mode.TCP && worker.equals(s.triggeredBy())) {
                // It accepted TCP, yet this pass could not use it (not PostgreSQL yet, or another transient
                // failure): watch it by probing, or a TCP check would start a pass every READY_CHECK_INTERVAL.
                mode = ReadinessWatch.Mode.PROBE;
            }
            Resolution resolution = s.resolutions().get(worker.host());
            if (mode != null && resolution != null && resolution.resolved()) {
                List<InetAddress> addresses = resolution.addresses();
                targets.add(new ReadinessWatch.Target(worker, addresses, mode));
            }
        });
        targets.sort(Comparator.comparing(t -> t.worker().toString()));
        return List.copyOf(targets);
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

    private static Map<HostPort, NodeRow> registered(List<NodeRow> nodes) {
        Map<HostPort, NodeRow> registered = new LinkedHashMap<>();
        for (NodeRow row : nodes) {
            if (!row.isCoordinator()) {
                registered.put(row.key(), row);
            }
        }
        return registered;
    }
}
