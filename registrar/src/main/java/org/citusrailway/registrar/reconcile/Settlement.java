package org.citusrailway.registrar.reconcile;

import java.net.InetAddress;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.citusrailway.registrar.name.HostPort;
import org.citusrailway.registrar.name.Resolution;
import org.citusrailway.registrar.probe.ReadinessWatch;
import org.citusrailway.registrar.report.Event;
import org.citusrailway.registrar.result.ProbeFailure;
import org.citusrailway.registrar.result.ProbeResult;
import org.citusrailway.registrar.row.NodeRow;

/**
 * The second half of a {@link Plan}: what each outcome of its actions means, and what this pass's checks of
 * registered workers (lost, recovered) mean against pg_dist_node as it is after them. Reached only through
 * {@link Plan#settle}, so a pass plans once. Pure.
 */
final class Settlement {
    private Settlement() {
    }

    /** See {@link Plan#settle}. */
    static Plan.Settled settle(Plan plan, List<Plan.Outcome> outcomes, List<NodeRow> nodes, long now, Instant at) {
        Snapshot s = plan.observed();
        WorkerMemory.Rules rules = plan.rules();
        LeaderState.Draft d = new LeaderState.Draft(plan.memory());
        List<PassEffect> out = new ArrayList<>();
        Set<HostPort> retrySoon = new HashSet<>();
        boolean nudge = false;
        for (Plan.Outcome outcome : outcomes) {
            switch (outcome) {
                case Plan.Outcome.Applied applied -> nudge |= applied(d, applied.action(), s, out);
                case Plan.Outcome.Failed failed -> {
                    HostPort worker = failed(d, failed, s, rules, now, at, out);
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
        return new Plan.Settled(List.copyOf(outcomes), List.copyOf(nodes), d.memory(watch), List.copyOf(out), nudge,
                active, inactive, lost, List.copyOf(unreachable));
    }

    private static boolean applied(LeaderState.Draft d, Action action, Snapshot s, List<PassEffect> out) {
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
                        + Planner.restoreDetail(s) + "); queries that need its shards fail until it is restored to the same"
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
    private static HostPort failed(LeaderState.Draft d, Plan.Outcome.Failed failed, Snapshot s,
            WorkerMemory.Rules rules, long now, Instant at, List<PassEffect> out) {
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
                            + " from another point in time than the coordinator's (" + Planner.restoreDetail(s) + "), but"
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

}
