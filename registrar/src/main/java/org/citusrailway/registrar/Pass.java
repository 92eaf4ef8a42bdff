package org.citusrailway.registrar;

import java.sql.SQLException;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.citusrailway.registrar.config.Config;
import org.citusrailway.registrar.config.Membership;
import org.citusrailway.registrar.coordinator.CoordinatorSession;
import org.citusrailway.registrar.discovery.CandidateNames;
import org.citusrailway.registrar.discovery.Discovery;
import org.citusrailway.registrar.discovery.DnsHealth;
import org.citusrailway.registrar.name.Addresses;
import org.citusrailway.registrar.name.HostPort;
import org.citusrailway.registrar.pg.SqlErrors;
import org.citusrailway.registrar.probe.PatroniRest;
import org.citusrailway.registrar.probe.ReadinessWatch;
import org.citusrailway.registrar.probe.WorkerProbe;
import org.citusrailway.registrar.reconcile.Action;
import org.citusrailway.registrar.reconcile.KnownWorkers;
import org.citusrailway.registrar.reconcile.LeaderState;
import org.citusrailway.registrar.reconcile.PassEffect;
import org.citusrailway.registrar.reconcile.Plan;
import org.citusrailway.registrar.reconcile.Planner;
import org.citusrailway.registrar.reconcile.Snapshot;
import org.citusrailway.registrar.reconcile.WorkerMemory;
import org.citusrailway.registrar.report.EventLog;
import org.citusrailway.registrar.report.Metrics;
import org.citusrailway.registrar.row.Failover;
import org.citusrailway.registrar.row.NodeRow;
import org.citusrailway.registrar.row.PatroniMember;
import org.citusrailway.registrar.view.Group;
import org.citusrailway.registrar.view.Status;

/**
 * One leader pass: <b>observe</b> (pg_dist_node, the registrar's tables, DNS, probes: one {@link Snapshot}) →
 * <b>plan</b> ({@link Planner}, pure) → <b>apply</b> (the only place that writes) → <b>publish</b> (log lines,
 * metrics, /status). The rebalance and archive checks follow, each its own small loop. Runs on the lock-holding
 * session; an exception that breaks the session propagates so the caller drops it (and with it the right to act).
 */
public final class Pass {
    private final Config config;
    private final Planner planner;
    private final Observer observer;
    private final Metrics metrics;
    private final EventLog log;
    private final Rebalancer rebalancer;
    private final ArchiveWatch archiveWatch;
    private final DnsHealth dnsHealth;
    private final PatroniRest patroni;
    /** The loop's clock for the times a pass records and decides by. */
    private final InstantSource clock;
    private LeaderState memory = LeaderState.initial();
    private HostPort triggeredBy;
    private Set<Integer> workerGroups = Set.of();
    /** Each group's last failover, read again from Patroni's history only when its primary or timeline changes. */
    private Map<Integer, KnownFailover> failovers = Map.of();

    private record KnownFailover(String primary, long timeline, Failover failover) {
    }

    public Pass(Config config, Discovery discovery, WorkerProbe probe, Metrics metrics, EventLog log,
            InstantSource clock) {
        this.config = config;
        this.clock = clock;
        this.planner = new Planner(CandidateNames.of(config),
                WorkerMemory.Rules.of(config.probeRetryMax(), config.workerLostAfter()));
        this.metrics = metrics;
        this.log = log;
        this.rebalancer = new Rebalancer(config.rebalanceOnJoin(), config.rebalanceTransferMode(), log, metrics);
        this.archiveWatch = new ArchiveWatch(log, metrics);
        this.dnsHealth = new DnsHealth(config.dnsTimeout(), log, metrics);
        this.observer = new Observer(config.coordinator(), planner.candidates(), config.connectTimeout(), discovery,
                dnsHealth, probe, clock);
        this.patroni = new PatroniRest(config.patroniPort(), config.connectTimeout());
    }

    /** Leadership (re)acquired: reload what is known, compare every worker's server_id again, check the rebalance. */
    public void lead(CoordinatorSession session) throws SQLException {
        memory = memory.leading(KnownWorkers.loaded(session.knownWorkers()));
        rebalancer.nudge();
    }

    /** The watched worker whose readiness started the next pass, or null (a scheduled pass). */
    public void triggeredBy(HostPort worker) {
        triggeredBy = worker;
    }

    /** Workers to watch until the next pass (see {@link ReadinessWatch}); empty until a pass completes. */
    public List<ReadinessWatch.Target> pending() {
        return memory.watch();
    }

    /**
     * What a pass did.
     *
     * @param status      what /status shows
     * @param backupNodes the coordinator and the active primary workers: the nodes whose backups the leader keeps
     * @param decided     one line saying what the pass decided and how its writes went
     */
    public record Result(Status status, List<HostPort> backupNodes, String decided) {
    }

    public Result run(CoordinatorSession session, long startedNanos, Instant startedAt)
            throws SQLException, InterruptedException {
        if (config.membership() == Membership.PATRONI) {
            return runBesidePatroni(session, startedNanos, startedAt);
        }
        Snapshot snapshot = observer.observe(session, memory, triggeredBy);
        Plan plan = planner.plan(snapshot, memory);
        Plan.Settled settled = apply(session, plan);
        memory = settled.memory();
        triggeredBy = null;
        publish(plan.effects());
        publish(settled.effects());
        if (settled.nudgeRebalance()) {
            rebalancer.nudge(); // a worker joined (or came back): it may be owed shards
        }
        metrics.nodes(settled.active(), settled.inactive(), settled.lost());
        metrics.workersReinitialised(memory.known().reinitialised().size());
        Steps steps = followingSteps(session, plan.retired(), settled.unreachable(), startedNanos);
        return new Result(status(snapshot, settled.nodes(), plan.retired(), steps.rebalance(), steps.archive(),
                startedAt, steps.elapsedNanos()), backupNodes(settled.nodes()), decided(settled));
    }

    /** What the steps after the membership pass saw, and how long the whole pass took. */
    private record Steps(Status.Rebalance rebalance, Status.Archive archive, long elapsedNanos) {
    }

    /** The rebalance and archive steps, run after every pass whoever keeps pg_dist_node. */
    private Steps followingSteps(CoordinatorSession session, Set<String> retired, List<HostPort> unreachable,
            long startedNanos) throws SQLException {
        long now = System.nanoTime();
        Instant at = clock.instant();
        Status.Rebalance rebalance = rebalancer.pass(session, retired, unreachable, now, at);
        Status.Archive archive = archiveWatch.pass(session, now, at);
        long elapsed = System.nanoTime() - startedNanos;
        metrics.passCompleted(elapsed);
        return new Steps(rebalance, archive, elapsed);
    }

    /**
     * A pass of the high-availability variant, where Patroni keeps pg_dist_node: observe the rows and each member's
     * Patroni, write nothing to pg_dist_node, then the same rebalance and archive steps as always (a new worker group
     * is owed shards like a new worker) and publish the groups.
     */
    private Result runBesidePatroni(CoordinatorSession session, long startedNanos, Instant startedAt)
            throws SQLException, InterruptedException {
        List<NodeRow> nodes = session.nodes();
        List<Group> groups = observeGroups(nodes);
        Set<Integer> primaryWorkerGroups = new java.util.TreeSet<>();
        int active = 0;
        int inactive = 0;
        for (NodeRow row : nodes) {
            if (row.isPrimary() && !row.isCoordinator()) {
                if (row.active()) {
                    active++;
                    primaryWorkerGroups.add(row.groupId());
                } else {
                    inactive++;
                }
            }
        }
        if (!workerGroups.containsAll(primaryWorkerGroups)) {
            rebalancer.nudge(); // a new worker group: it may be owed shards
        }
        workerGroups = Set.copyOf(primaryWorkerGroups);
        metrics.nodes(active, inactive, 0);
        metrics.groups(groups);
        Steps steps = followingSteps(session, Set.of(), List.of(), startedNanos);
        List<Status.Node> nodeViews = nodes.stream().map(row -> new Status.Node(row.nodeId(), row.groupId(), row.name(),
                row.port(), row.active(), row.metadataSynced(), row.shouldHaveShards(), row.role(), null, false, null,
                false)).toList();
        Status status = new Status("leader", true, null, startedAt, steps.elapsedNanos() / 1_000_000, metrics.passes(), 0,
                List.of(), nodeViews, steps.rebalance(), List.of(), Status.Dns.NONE, steps.archive()).withGroups(groups);
        StringBuilder decided = new StringBuilder("pg_dist_node kept by Patroni; primaries");
        for (Group g : groups) {
            decided.append(' ').append(g.groupId()).append('=').append(g.primary())
                    .append(g.streamingStandbys() == 0 ? " (no standby)" : "");
        }
        return new Result(status, backupNodes(nodes), decided.toString());
    }

    /** Each group's rows joined with what every member's Patroni says, asked in parallel (bounded by timeouts). */
    private List<Group> observeGroups(List<NodeRow> nodes) throws InterruptedException {
        Map<String, PatroniMember> seen = new ConcurrentHashMap<>();
        try (ExecutorService parallel = Executors.newVirtualThreadPerTaskExecutor()) {
            for (NodeRow row : nodes) {
                parallel.execute(() -> seen.put(row.name(), patroni.member(row.name())));
            }
        }
        Observer.stopIfInterrupted();
        Map<Integer, List<NodeRow>> byGroup = new java.util.TreeMap<>();
        for (NodeRow row : nodes) {
            byGroup.computeIfAbsent(row.groupId(), g -> new ArrayList<>()).add(row);
        }
        List<Group> groups = new ArrayList<>();
        Map<Integer, KnownFailover> known = new java.util.HashMap<>();
        for (Map.Entry<Integer, List<NodeRow>> entry : byGroup.entrySet()) {
            String primary = entry.getValue().stream().filter(NodeRow::isPrimary).map(NodeRow::name).findFirst()
                    .orElse(null);
            PatroniMember primaryState = primary == null ? null : seen.get(primary);
            List<Group.Member> members = new ArrayList<>();
            for (NodeRow row : entry.getValue().stream()
                    .sorted((a, b) -> Boolean.compare(b.isPrimary(), a.isPrimary())).toList()) {
                PatroniMember m = seen.get(row.name());
                Long lag = null;
                if (!row.isPrimary() && m.role() != null && primaryState != null && primaryState.isPrimary()) {
                    lag = Math.max(0, primaryState.walPosition() - m.walPosition());
                }
                members.add(new Group.Member(row.name(), m.role(), m.state(), m.timeline(), lag, m.error()));
            }
            Failover last = null;
            if (primary != null && primaryState.role() != null) {
                KnownFailover before = failovers.get(entry.getKey());
                last = before != null && before.primary().equals(primary) && before.timeline() == primaryState.timeline()
                        ? before.failover() : patroni.lastFailover(primary);
                known.put(entry.getKey(), new KnownFailover(primary, primaryState.timeline(), last));
            }
            groups.add(new Group(entry.getKey(), primary, List.copyOf(members), last));
        }
        failovers = Map.copyOf(known);
        return List.copyOf(groups);
    }

    private List<HostPort> backupNodes(List<NodeRow> nodes) {
        Set<HostPort> backupNodes = new LinkedHashSet<>();
        backupNodes.add(config.coordinator());
        for (NodeRow row : nodes) {
            if (row.active() && row.isPrimary() && !row.isCoordinator()) {
                backupNodes.add(new HostPort(row.name(), row.port()));
            }
        }
        return List.copyOf(backupNodes);
    }

    /** E.g. "2 active, 0 inactive, 0 lost; add worker1:5432, remember worker1:5432, activate worker2:5432 refused". */
    private static String decided(Plan.Settled settled) {
        List<Plan.Outcome> outcomes = settled.outcomes();
        StringBuilder line = new StringBuilder().append(settled.active()).append(" active, ")
                .append(settled.inactive()).append(" inactive, ").append(settled.lost()).append(" lost; ");
        if (outcomes.isEmpty()) {
            return line.append("no writes").toString();
        }
        for (int i = 0; i < outcomes.size(); i++) {
            Plan.Outcome outcome = outcomes.get(i);
            Action action = switch (outcome) {
                case Plan.Outcome.Applied applied -> applied.action();
                case Plan.Outcome.Failed failed -> failed.action();
            };
            line.append(i == 0 ? "" : ", ").append(describe(action));
            if (outcome instanceof Plan.Outcome.Failed) {
                line.append(" refused");
            }
        }
        return line.toString();
    }

    private static String describe(Action action) {
        return switch (action) {
            case Action.SetCoordinatorHost set -> "set coordinator " + set.coordinator();
            case Action.AddNode add -> "add " + add.worker();
            case Action.ActivateNode activate -> "activate " + activate.worker();
            case Action.DisableNode disable -> "disable " + disable.worker();
            case Action.RememberWorker remember -> "remember " + remember.worker();
            case Action.ForgetWorker forget -> "forget " + forget.worker();
            case Action.RetireRemovedWorker retire -> "retire " + retire.worker();
        };
    }

    /**
     * Applies the plan's writes in order, then settles the plan with how they went and pg_dist_node as they left it. A
     * refused metadata change is an outcome (reported, retried); an error that breaks the session, or a failed write
     * to the registrar's own tables, ends the pass.
     */
    private Plan.Settled apply(CoordinatorSession session, Plan plan) throws SQLException {
        List<Plan.Outcome> outcomes = write(session, plan);
        boolean changed = outcomes.stream().anyMatch(o -> o instanceof Plan.Outcome.Applied applied
                && isMetadataChange(applied.action()));
        List<NodeRow> nodes = changed ? session.nodes() : plan.observed().nodes();
        if (plan.rereadCoordinator()) {
            session.forgetIdentity();
        }
        return plan.settle(outcomes, nodes, System.nanoTime(), clock.instant());
    }

    private static List<Plan.Outcome> write(CoordinatorSession session, Plan plan) throws SQLException {
        List<Plan.Outcome> outcomes = new ArrayList<>();
        for (Action action : plan.actions()) {
            if (Plan.skipped(action, outcomes)) {
                continue;
            }
            switch (action) {
                case Action.RememberWorker remember -> session.rememberWorker(remember.worker(), remember.serverId());
                case Action.ForgetWorker forget -> session.forgetWorker(forget.worker());
                case Action.RetireRemovedWorker retire -> session.retireRemovedWorker(retire.worker(),
                        KnownWorkers.REMOVED_NOTE);
                default -> {
                    try {
                        changeMetadata(session, action);
                    } catch (SQLException e) {
                        outcomes.add(new Plan.Outcome.Failed(action, session.refusal(e),
                                SqlErrors.transientWorkerConnection(e)));
                        continue;
                    }
                }
            }
            outcomes.add(new Plan.Outcome.Applied(action));
        }
        return outcomes;
    }

    private static void changeMetadata(CoordinatorSession session, Action action) throws SQLException {
        switch (action) {
            case Action.SetCoordinatorHost set -> session.setCoordinatorHost(set.coordinator());
            case Action.AddNode add -> session.addNode(add.worker());
            case Action.ActivateNode activate -> session.activateNode(activate.storedName(), activate.worker().port());
            case Action.DisableNode disable -> session.disableNode(disable.storedName(), disable.worker().port());
            default -> throw new IllegalArgumentException("not a metadata change: " + action);
        }
    }

    private static boolean isMetadataChange(Action action) {
        return action instanceof Action.SetCoordinatorHost || action instanceof Action.AddNode
                || action instanceof Action.ActivateNode || action instanceof Action.DisableNode;
    }

    private void publish(List<PassEffect> effects) {
        for (PassEffect effect : effects) {
            switch (effect) {
                case PassEffect.Log line -> log.line(line.warn(), line.event(), line.message(), line.fields());
                case PassEffect.ProbeFailed failed -> metrics.probeFailed(failed.reason());
                case PassEffect.Added ignored -> metrics.registered();
                case PassEffect.Activated ignored -> metrics.activated();
                case PassEffect.RemovedByUser ignored -> metrics.workerRemovedByUser();
            }
        }
    }

    private Status status(Snapshot snapshot, List<NodeRow> nodes, Set<String> retired, Status.Rebalance rebalance,
            Status.Archive archive, Instant startedAt, long elapsedNanos) {
        List<Status.Candidate> candidates = new ArrayList<>();
        for (HostPort candidate : planner.candidates()) {
            WorkerMemory s = memory.workers().get(candidate);
            if (s != null) {
                candidates.add(new Status.Candidate(candidate.host(), candidate.port(), Addresses.list(s.addresses()),
                        s.state().id(), s.reason() == null ? null : s.reason().id(), s.lastError(), s.lastErrorAt()));
            }
        }
        List<Status.Node> nodeViews = new ArrayList<>(nodes.size());
        for (NodeRow row : nodes) {
            WorkerMemory s = row.isCoordinator() ? null : memory.workers().get(row.key());
            nodeViews.add(new Status.Node(row.nodeId(), row.groupId(), row.name(), row.port(), row.active(),
                    row.metadataSynced(), row.shouldHaveShards(), row.role(), snapshot.alive().get(row.key()),
                    retired.contains(row.key().host()), s == null ? null : s.lastError(),
                    !row.isCoordinator() && memory.known().isReinitialised(row.key())));
        }
        List<String> pendingNames = memory.watch().stream().map(target -> target.worker().toString()).toList();
        return new Status("leader", true, null, startedAt, elapsedNanos / 1_000_000, metrics.passes(),
                planner.candidates().size(), List.copyOf(candidates), List.copyOf(nodeViews), rebalance,
                pendingNames, dnsHealth.last(), archive);
    }
}
