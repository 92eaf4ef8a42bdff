package org.citusrailway.registrar.reconcile;

import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.citusrailway.registrar.discovery.Addresses;
import org.citusrailway.registrar.backup.ArchiveWatch;
import org.citusrailway.registrar.discovery.CandidateNames;
import org.citusrailway.registrar.config.Config;
import org.citusrailway.registrar.coordinator.CoordinatorSession;
import org.citusrailway.registrar.discovery.Discovery;
import org.citusrailway.registrar.discovery.DnsHealth;
import org.citusrailway.registrar.report.Event;
import org.citusrailway.registrar.report.EventLog;
import org.citusrailway.registrar.config.HostPort;
import org.citusrailway.registrar.coordinator.KnownWorkers;
import org.citusrailway.registrar.report.Metrics;
import org.citusrailway.registrar.coordinator.NodeRow;
import org.citusrailway.registrar.probe.ProbeFailure;
import org.citusrailway.registrar.probe.ProbeResult;
import org.citusrailway.registrar.probe.ReadinessWatch;
import org.citusrailway.registrar.rebalance.Rebalancer;
import org.citusrailway.registrar.discovery.Resolution;
import org.citusrailway.registrar.coordinator.SqlErrors;
import org.citusrailway.registrar.report.Status;
import org.citusrailway.registrar.probe.TcpCheck;
import org.citusrailway.registrar.probe.WorkerProbe;

/**
 * One leader pass: read pg_dist_node → discover → notice removals by hand → probe (and compare server_ids) → decide →
 * apply → follow or start a rebalance → report. Runs on the lock-holding session; an exception that breaks the
 * session propagates so the caller drops it (and with it the right to act).
 */
public final class Pass {
    private final Config config;
    private final List<HostPort> candidates;
    private final Set<String> candidateHosts;
    private final Discovery discovery;
    private final WorkerProbe probe;
    private final WorkerStates workers;
    private final Metrics metrics;
    private final EventLog log;
    private final KnownWorkers known = new KnownWorkers();
    private final Rebalancer rebalancer;
    private final ArchiveWatch archiveWatch;
    private final DnsHealth dnsHealth;
    /** Workers whose add/activate failed transiently in this pass: retried soon, without backoff. */
    private final Set<HostPort> retrySoon = new HashSet<>();
    /** Workers from another point in time that Citus would not disable (they hold the only copy of shards): said once. */
    private final Set<HostPort> disableRefused = new HashSet<>();
    private List<ReadinessWatch.Target> pending = List.of();
    private HostPort triggeredBy;

    public Pass(Config config, Discovery discovery, WorkerProbe probe, WorkerStates workers, Metrics metrics, EventLog log) {
        this.config = config;
        this.candidates = CandidateNames.of(config);
        Set<String> hosts = new LinkedHashSet<>();
        for (HostPort candidate : candidates) {
            hosts.add(candidate.host());
        }
        this.candidateHosts = Set.copyOf(hosts);
        this.discovery = discovery;
        this.probe = probe;
        this.workers = workers;
        this.metrics = metrics;
        this.log = log;
        this.rebalancer = new Rebalancer(config.rebalanceOnJoin(), config.rebalanceTransferMode(), log, metrics);
        this.archiveWatch = new ArchiveWatch(log, metrics);
        this.dnsHealth = new DnsHealth(config.dnsTimeout(), log, metrics);
    }

    /** Leadership (re)acquired: reload what is known, compare every worker's server_id again, check the rebalance. */
    public void lead(CoordinatorSession session) throws SQLException {
        known.load(session);
        rebalancer.nudge();
    }

    int candidateCount() {
        return candidates.size();
    }

    /** The watched worker whose readiness started the next pass, or null (a scheduled pass). */
    public void triggeredBy(HostPort worker) {
        triggeredBy = worker;
    }

    /** Workers to watch until the next pass (see {@link ReadinessWatch}); empty until a pass completes. */
    public List<ReadinessWatch.Target> pending() {
        return pending;
    }

    public Status run(CoordinatorSession session, long startedNanos, Instant startedAt)
            throws SQLException, InterruptedException {
        Set<HostPort> wasPending = new HashSet<>();
        for (ReadinessWatch.Target target : pending) {
            if (target.mode() != ReadinessWatch.Mode.SLOW_PROBE) {
                wasPending.add(target.worker());
            }
        }
        pending = List.of();
        retrySoon.clear();
        List<NodeRow> nodes = session.nodes();
        Set<String> retired = new HashSet<>(session.retiredNames());

        Map<HostPort, NodeRow> registered = new HashMap<>();
        Set<String> names = new LinkedHashSet<>(candidateHosts);
        for (NodeRow row : nodes) {
            if (!row.isCoordinator()) {
                registered.put(row.key(), row);
                names.add(row.key().host());
            }
        }
        for (HostPort worker : known.all()) {
            names.add(worker.host());
        }
        Map<String, Resolution> resolutions = discovery.resolve(names);
        dnsHealth.pass(resolutions, discovery.queriesSent());
        long now = System.nanoTime();
        noticeRemovals(session, registered, retired, resolutions);

        List<HostPort> resolvable = new ArrayList<>();
        List<HostPort> toProbe = new ArrayList<>();
        for (HostPort candidate : candidates) {
            if (registered.containsKey(candidate)) {
                continue;
            }
            Resolution resolution = resolutions.get(candidate.host());
            if (resolution.resolved() || workers.known(candidate)) {
                workers.resolved(candidate, resolution);
            }
            if (!resolution.resolved()) {
                continue;
            }
            resolvable.add(candidate);
            if (!retired.contains(candidate.host()) && workers.due(candidate, now)) {
                toProbe.add(candidate);
            }
        }
        List<NodeRow> toCheck = new ArrayList<>();
        for (NodeRow row : registered.values()) {
            HostPort key = row.key();
            if (!row.isPrimary()) {
                continue;
            }
            if (row.active()) {
                toCheck.add(row);
            } else if (!retired.contains(key.host()) && resolutions.get(key.host()).resolved()
                    && workers.due(key, now)) {
                toProbe.add(key);
            }
        }

        Map<HostPort, ProbeResult> probes = new ConcurrentHashMap<>();
        Map<HostPort, Boolean> alive = new ConcurrentHashMap<>();
        if (!toProbe.isEmpty() || !toCheck.isEmpty()) {
            // Probes and TCP checks are all bounded by connect/socket timeouts; close() waits for every one.
            try (ExecutorService parallel = Executors.newVirtualThreadPerTaskExecutor()) {
                for (HostPort worker : toProbe) {
                    List<java.net.InetAddress> addresses = resolutions.get(worker.host()).addresses();
                    parallel.execute(() -> probes.put(worker, probe.probe(worker, addresses)));
                }
                for (NodeRow row : toCheck) {
                    Resolution resolution = resolutions.get(row.key().host());
                    parallel.execute(() -> alive.put(row.key(), resolution.resolved()
                            && TcpCheck.accepts(resolution.addresses(), row.port(), config.connectTimeout())));
                }
            }
        }
        if (Thread.currentThread().isInterrupted()) {
            throw new InterruptedException("stopping");
        }
        now = System.nanoTime();
        Map<HostPort, ProbeResult> verified = verifyIdentities(session, toCheck, alive, resolutions, now);
        Set<HostPort> restoreMismatch = restoreMismatches(session, registered, probes, verified);
        disableRefused.removeIf(worker -> verified.containsKey(worker) && !restoreMismatch.contains(worker));

        boolean needServerIds = false;
        for (Map.Entry<HostPort, ProbeResult> entry : probes.entrySet()) {
            HostPort worker = entry.getKey();
            if (entry.getValue() instanceof ProbeResult.Failed failed) {
                workers.probeFailed(worker, failed.reason(), failed.detail(), now);
            } else if (entry.getValue() instanceof ProbeResult.Reached reached) {
                workers.probePassed(worker);
                needServerIds |= !registered.containsKey(worker) && reached.citusVersion() != null;
                if (registered.containsKey(worker)) {
                    compareIdentity(session, worker, reached.serverId(), now);
                }
            }
        }
        Map<HostPort, String> serverIds = needServerIds ? session.workerServerIds() : Map.of();

        Decision decision = Reconciler.decide(new Observation(config.coordinator(), nodes, resolvable, probes, retired,
                session.citusVersion(), session.serverId(), serverIds, known.reinitialised(), session.restoredTo(),
                restoreMismatch));
        decision.rejected().forEach((worker, reason) -> {
            workers.probeFailed(worker, reason, rejectionDetail(reason, probes.get(worker), session), System.nanoTime());
            if (reason == ProbeFailure.CITUS_VERSION_MISMATCH) {
                session.forgetIdentity(); // the coordinator may have been upgraded: read its version again
            }
        });
        decision.retired().forEach(workers::retired);

        boolean changed = false;
        for (Action action : decision.actions()) {
            boolean applied = apply(session, action, probes);
            changed |= applied;
            if (applied && !(action instanceof Action.SetCoordinatorHost)) {
                rebalancer.nudge(); // a worker joined (or came back): it may be owed shards
            }
        }
        if (changed) {
            nodes = session.nodes();
        }

        now = System.nanoTime();
        int active = 0;
        int inactive = 0;
        int unreachable = 0;
        List<HostPort> unreachableWorkers = new ArrayList<>();
        for (NodeRow row : nodes) {
            if (row.isCoordinator()) {
                continue;
            }
            Boolean up = alive.get(row.key());
            if (up != null) {
                Resolution resolution = resolutions.get(row.key().host());
                workers.liveness(row.key(), up, resolution != null && !resolution.resolved()
                        ? "does not resolve (" + resolution.problem() + ")" : "does not accept TCP connections", now);
            }
            if (up != null && !up && row.active()) {
                unreachableWorkers.add(row.key()); // a rebalance now would fail, lost or not
            }
            if (!row.active()) {
                inactive++;
            } else if (workers.isLost(row.key())) {
                unreachable++;
            } else {
                active++;
            }
        }
        pending = pendingTargets(probes, resolutions, wasPending);
        triggeredBy = null;
        metrics.nodes(active, inactive, unreachable);
        metrics.workersReinitialised(known.reinitialised().size());
        Status.Rebalance rebalance = rebalancer.pass(session, retired, unreachableWorkers, System.nanoTime());
        Status.Archive archive = archiveWatch.pass(session, System.nanoTime());
        long elapsed = System.nanoTime() - startedNanos;
        metrics.passCompleted(elapsed);
        return status(nodes, retired, alive, rebalance, archive, startedAt, elapsed);
    }

    /**
     * Resolving, unretired workers (unregistered candidates or inactive registered ones) whose probe failed cheaply in
     * this pass, and those whose add/activate failed transiently: worth watching until the next pass.
     */
    private List<ReadinessWatch.Target> pendingTargets(Map<HostPort, ProbeResult> probes,
            Map<String, Resolution> resolutions, Set<HostPort> wasPending) {
        List<ReadinessWatch.Target> targets = new ArrayList<>();
        for (Map.Entry<HostPort, ProbeResult> entry : probes.entrySet()) {
            HostPort worker = entry.getKey();
            ReadinessWatch.Mode mode = retrySoon.contains(worker) ? ReadinessWatch.Mode.TCP : null;
            if (entry.getValue() instanceof ProbeResult.Failed failed) {
                if (!failed.reason().costly()) {
                    mode = failed.reason() == ProbeFailure.STARTING_UP ? ReadinessWatch.Mode.PROBE
                            : ReadinessWatch.Mode.TCP;
                }
            } else if (entry.getValue() instanceof ProbeResult.Reached reached && reached.citusVersion() == null
                    && wasPending.contains(worker)) {
                mode = ReadinessWatch.Mode.SLOW_PROBE; // it just came up; its citus extension may follow in a moment
            }
            if (mode == ReadinessWatch.Mode.TCP && worker.equals(triggeredBy)) {
                // It accepted TCP, yet this pass could not use it (not PostgreSQL yet, or another transient
                // failure): watch it by probing, or a TCP check would start a pass every READY_CHECK_INTERVAL.
                mode = ReadinessWatch.Mode.PROBE;
            }
            Resolution resolution = resolutions.get(worker.host());
            if (mode != null && resolution != null && resolution.resolved()) {
                targets.add(new ReadinessWatch.Target(worker, resolution.addresses(), mode));
            }
        }
        targets.sort(java.util.Comparator.comparing(t -> t.worker().toString()));
        return List.copyOf(targets);
    }

    /**
     * Known workers missing from pg_dist_node. Retired ones went the documented way and are forgotten; one that still
     * resolves was removed by hand and is retired so it is not re-added behind the user's back; one that no longer
     * resolves is gone for good and forgotten (if its name comes back, it is a new worker). A lookup timeout decides
     * nothing.
     */
    private void noticeRemovals(CoordinatorSession session, Map<HostPort, NodeRow> registered, Set<String> retired,
            Map<String, Resolution> resolutions) throws SQLException {
        for (HostPort worker : known.all()) {
            if (registered.containsKey(worker)) {
                continue;
            }
            Resolution resolution = resolutions.get(worker.host());
            if (retired.contains(worker.host())) {
                known.forget(session, worker);
                log.info(Event.WORKER_FORGOTTEN, "worker " + worker + " is retired and no longer in pg_dist_node;"
                        + " forgotten", "worker", worker);
            } else if (resolution != null && resolution.fresh()) {
                known.retire(session, worker);
                retired.add(worker.host());
                metrics.workerRemovedByUser();
                log.warn(Event.WORKER_REMOVED_BY_USER, "worker " + worker + " was removed from pg_dist_node outside"
                        + " the registrar while it still resolves; recorded in citus_registrar.retired_workers ('"
                        + KnownWorkers.REMOVED_NOTE + "') and never re-added automatically. To bring it back: DELETE"
                        + " FROM citus_registrar.retired_workers WHERE nodename = '" + worker.host() + "';",
                        "worker", worker);
            } else if (resolution != null && Resolution.NOT_FOUND.equals(resolution.problem())) {
                known.forget(session, worker);
                log.info(Event.WORKER_FORGOTTEN, "worker " + worker + " left pg_dist_node and no longer resolves;"
                        + " forgotten (a worker that appears later under this name is treated as new)", "worker",
                        worker);
            }
        }
    }

    /** Registered workers probed this pass (inactive ones, and active ones being verified) from another time. */
    private Set<HostPort> restoreMismatches(CoordinatorSession session, Map<HostPort, NodeRow> registered,
            Map<HostPort, ProbeResult> probes, Map<HostPort, ProbeResult> verified) {
        Set<HostPort> mismatched = new HashSet<>();
        Map<HostPort, ProbeResult> seen = new HashMap<>(probes);
        seen.putAll(verified);
        seen.forEach((worker, result) -> {
            if (registered.containsKey(worker) && result instanceof ProbeResult.Reached reached
                    && reached.citusVersion() != null && RestoreTarget.mismatch(session.restoredTo(),
                            reached.restoredTo(), known.knows(worker), known.seenUnder(worker))) {
                mismatched.add(worker);
            }
        });
        return mismatched;
    }

    /**
     * Active registered workers that answer and have not had their server_id compared since leadership started or
     * since they were last lost: one authenticated probe each, in parallel. Returns what the probes saw.
     */
    private Map<HostPort, ProbeResult> verifyIdentities(CoordinatorSession session, List<NodeRow> active,
            Map<HostPort, Boolean> alive, Map<String, Resolution> resolutions, long now)
            throws SQLException, InterruptedException {
        List<HostPort> toVerify = new ArrayList<>();
        for (NodeRow row : active) {
            HostPort key = row.key();
            Boolean up = alive.get(key);
            if (up != null && !up) {
                known.lost(key);
            } else if (up != null && known.needsVerification(key) && workers.due(key, now)) {
                toVerify.add(key);
            }
        }
        if (toVerify.isEmpty()) {
            return Map.of();
        }
        Map<HostPort, ProbeResult> results = new ConcurrentHashMap<>();
        try (ExecutorService parallel = Executors.newVirtualThreadPerTaskExecutor()) {
            for (HostPort worker : toVerify) {
                List<java.net.InetAddress> addresses = resolutions.get(worker.host()).addresses();
                parallel.execute(() -> results.put(worker, probe.probe(worker, addresses)));
            }
        }
        if (Thread.currentThread().isInterrupted()) {
            throw new InterruptedException("stopping");
        }
        for (Map.Entry<HostPort, ProbeResult> entry : results.entrySet()) {
            if (entry.getValue() instanceof ProbeResult.Reached reached) {
                compareIdentity(session, entry.getKey(), reached.serverId(), now);
            }
        }
        return results;
    }

    private void compareIdentity(CoordinatorSession session, HostPort worker, String serverId, long now)
            throws SQLException {
        if (known.verify(session, worker, serverId)) {
            workers.reinitialised(worker, known.recordedId(worker), serverId, now);
        } else {
            workers.identityConfirmed(worker);
        }
    }

    /** Returns true when the coordinator's metadata changed. Failures are reported; the session errors propagate. */
    private boolean apply(CoordinatorSession session, Action action, Map<HostPort, ProbeResult> probes)
            throws SQLException {
        try {
            session.apply(action);
        } catch (SQLException e) {
            if (session.broken(e)) {
                throw e;
            }
            String error = SqlErrors.message(e);
            boolean transientFailure = SqlErrors.transientWorkerConnection(e);
            long now = System.nanoTime();
            switch (action) {
                case Action.SetCoordinatorHost set -> log.warn(Event.COORDINATOR_HOST_FAILED,
                        "citus_set_coordinator_host(" + set.coordinator() + ") failed: " + error,
                        "coordinator", set.coordinator(), "error", error);
                case Action.AddNode add -> {
                    if (workers.actionFailed(add.worker(), Event.WORKER_ADD_FAILED, "citus_add_node", error,
                            transientFailure, now)) {
                        retrySoon.add(add.worker());
                    }
                }
                case Action.ActivateNode activate -> {
                    if (workers.actionFailed(activate.worker(), Event.WORKER_ACTIVATE_FAILED, "citus_activate_node",
                            error, transientFailure, now)) {
                        retrySoon.add(activate.worker());
                    }
                }
                case Action.DisableNode disable -> {
                    if (disableRefused.add(disable.worker())) {
                        log.warn(Event.WORKER_DISABLE_FAILED, "worker " + disable.worker() + " has data from another"
                                + " point in time than the coordinator's (" + restoreDetail(session) + "), but"
                                + " citus_disable_node failed: " + error + ". Queries may return data from two points"
                                + " in time until it is restored to the coordinator's point",
                                "worker", disable.worker(), "error", error);
                    }
                }
            }
            return false;
        }
        switch (action) {
            case Action.SetCoordinatorHost set -> log.info(Event.COORDINATOR_HOST_SET,
                    "coordinator row set to " + set.coordinator() + " (citus_set_coordinator_host)",
                    "coordinator", set.coordinator());
            case Action.AddNode add -> {
                workers.added(add.worker());
                if (probes.get(add.worker()) instanceof ProbeResult.Reached reached && reached.serverId() != null) {
                    known.remember(session, add.worker(), reached.serverId());
                }
            }
            case Action.ActivateNode activate -> workers.activated(activate.worker());
            case Action.DisableNode disable -> {
                disableRefused.remove(disable.worker());
                known.lost(disable.worker()); // compared again when it is restored and comes back
                log.warn(Event.WORKER_RESTORE_MISMATCH, "worker " + disable.worker() + " was disabled: its data is"
                        + " from another point in time than the coordinator's (" + restoreDetail(session) + ");"
                        + " queries that need its shards fail until it is restored to the same point, then it is"
                        + " activated again", "worker", disable.worker(), "coordinatorRestoredTo",
                        session.restoredTo());
            }
        }
        return true;
    }

    private static String restoreDetail(CoordinatorSession session) {
        return session.restoredTo() == null ? "the coordinator was not restored"
                : "the coordinator was restored to '" + session.restoredTo() + "'; set BACKUP_RESTORE_POINT="
                        + session.restoredTo() + " on the worker";
    }

    private static String rejectionDetail(ProbeFailure reason, ProbeResult result, CoordinatorSession session) {
        if (reason == ProbeFailure.CITUS_VERSION_MISMATCH && result instanceof ProbeResult.Reached reached) {
            return "worker has citus " + reached.citusVersion() + ", coordinator has " + session.citusVersion();
        }
        if (reason == ProbeFailure.RESTORE_POINT_MISMATCH && result instanceof ProbeResult.Reached reached) {
            return reached.restoredTo() == null ? "not restored with the cluster; " + restoreDetail(session)
                    : "restored to '" + reached.restoredTo() + "'; " + restoreDetail(session);
        }
        return switch (reason) {
            case CITUS_MISSING -> "the citus extension is not created in POSTGRES_DB on the worker";
            case IS_COORDINATOR -> "this name leads to the coordinator itself";
            case DUPLICATE_SERVER_ID -> "same Citus server_id as a registered node or another candidate";
            default -> null;
        };
    }

    private Status status(List<NodeRow> nodes, Set<String> retired, Map<HostPort, Boolean> alive,
            Status.Rebalance rebalance, Status.Archive archive, Instant startedAt, long elapsedNanos) {
        List<Status.Candidate> candidateViews = new ArrayList<>();
        for (HostPort candidate : candidates) {
            WorkerState s = workers.peek(candidate);
            if (s != null) {
                candidateViews.add(new Status.Candidate(candidate.host(), candidate.port(), Addresses.list(s.addresses),
                        s.state.id(), s.reason == null ? null : s.reason.id(), s.lastError, s.lastErrorAt));
            }
        }
        List<Status.Node> nodeViews = new ArrayList<>(nodes.size());
        for (NodeRow row : nodes) {
            WorkerState s = row.isCoordinator() ? null : workers.peek(row.key());
            nodeViews.add(new Status.Node(row.nodeId(), row.groupId(), row.name(), row.port(), row.active(),
                    row.metadataSynced(), row.shouldHaveShards(), row.role(), alive.get(row.key()),
                    retired.contains(row.key().host()), s == null ? null : s.lastError,
                    !row.isCoordinator() && known.isReinitialised(row.key())));
        }
        List<String> pendingNames = new ArrayList<>(pending.size());
        for (ReadinessWatch.Target target : pending) {
            pendingNames.add(target.worker().toString());
        }
        return new Status("leader", true, null, startedAt, elapsedNanos / 1_000_000, metrics.passes(),
                candidates.size(), List.copyOf(candidateViews), List.copyOf(nodeViews), rebalance,
                List.copyOf(pendingNames), dnsHealth.last(), archive);
    }
}
