package org.citusrailway.registrar;

import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.citusrailway.registrar.config.ShardTransferMode;
import org.citusrailway.registrar.coordinator.CoordinatorSession;
import org.citusrailway.registrar.name.HostPort;
import org.citusrailway.registrar.rebalance.RebalancePlanner;
import org.citusrailway.registrar.rebalance.RebalancePlanner.RebalanceEffect;
import org.citusrailway.registrar.rebalance.RebalancePlanner.RebalanceFacts;
import org.citusrailway.registrar.rebalance.RebalancePlanner.RebalanceState;
import org.citusrailway.registrar.rebalance.RebalancePlanner.Start;
import org.citusrailway.registrar.rebalance.RebalancePlanner.StartResult;
import org.citusrailway.registrar.rebalance.RebalancePlanner.Step;
import org.citusrailway.registrar.report.EventLog;
import org.citusrailway.registrar.report.Metrics;
import org.citusrailway.registrar.row.RebalanceJob;
import org.citusrailway.registrar.view.Status;

/**
 * The second half of scaling out: Citus puts no existing data on a new worker until shards move. After a worker joins
 * a cluster with distributed tables, start ONE rebalance, follow it to its end, and say exactly why when it cannot
 * run. What is owed is read from the catalog ({@link CoordinatorSession#workersWithoutShards()}), not remembered, so a
 * registrar restarted between the add and the rebalance still starts it. That check is cheap but not free, so it runs
 * right after an add or activation, at leadership, and otherwise once a minute (or on the backoff of a blocked or
 * failed attempt); a job being followed costs one query per pass. Every decision is {@link RebalancePlanner}'s; this
 * class only reads, starts and publishes. Touched only by the loop thread.
 */
public final class Rebalancer {
    private static final Pattern ALREADY_RUNNING = Pattern.compile("already running as job (\\d+)");
    private static final Pattern NO_IDENTITY = Pattern.compile("shards of the relation (.+?) since it doesn't have");

    private final RebalancePlanner planner;
    private final EventLog log;
    private final Metrics metrics;
    private RebalanceState memory = RebalanceState.initial();

    public Rebalancer(boolean onJoin, ShardTransferMode mode, EventLog log, Metrics metrics) {
        this.planner = new RebalancePlanner(onJoin, mode);
        this.log = log;
        this.metrics = metrics;
    }

    /** Check what is owed on the next pass (after an add or activation, and when leadership starts). */
    public void nudge() {
        memory = memory.nudged();
    }

    /**
     * One pass: observe (the newest job; the catalog when a check is due) → plan → publish what deciding said → apply
     * (the start the plan asks for) → publish what its answer settles.
     *
     * @param retired     names in retired_workers: never a reason to rebalance
     * @param unreachable registered active workers that failed this pass's check: a rebalance now would fail
     */
    public Status.Rebalance pass(CoordinatorSession session, Set<String> retired, List<HostPort> unreachable, long now,
            Instant at) throws SQLException {
        if (!memory.wantsLook(now)) {
            return view();
        }
        Step step;
        try {
            step = planner.plan(memory, observe(session, retired, unreachable, now, at), now);
        } catch (SQLException e) {
            step = planner.checkFailed(memory, session.refusal(e), now);
        }
        publish(step);
        if (step.start() != null) {
            publish(step.settle(start(session, step.start()), now)); // apply: the step's one write
        }
        return view();
    }

    private RebalanceFacts observe(CoordinatorSession session, Set<String> retired, List<HostPort> unreachable,
            long now, Instant at) throws SQLException {
        RebalanceJob latest = session.latestRebalanceJob();
        List<HostPort> withoutShards = List.of();
        List<String> tables = List.of();
        if (planner.needsCatalog(memory, latest, now)) {
            withoutShards = session.workersWithoutShards();
            if (planner.needsIdentityCheck(withoutShards)) {
                tables = session.tablesBlockingOnlineMoves();
            }
        }
        return new RebalanceFacts(latest, withoutShards, tables, retired, unreachable, at);
    }

    /** citus_rebalance_start; a refusal is an answer, not an error (unless it broke the session). */
    private static StartResult start(CoordinatorSession session, Start start) throws SQLException {
        Long id;
        try {
            id = session.startRebalance(start.mode());
        } catch (SQLException e) {
            String message = session.refusal(e);
            if (ALREADY_RUNNING.matcher(message).find()) {
                return new StartResult.AlreadyRunning();
            }
            Matcher table = NO_IDENTITY.matcher(message);
            if (table.find()) {
                return new StartResult.NoIdentity(table.group(1));
            }
            return new StartResult.Refused(message);
        }
        return id == null ? new StartResult.NoMoves() : new StartResult.Job(id);
    }

    /** Keeps the step's memory and publishes its log lines and counters. */
    private void publish(Step step) {
        memory = step.memory();
        for (RebalanceEffect effect : step.effects()) {
            switch (effect) {
                case RebalanceEffect.Log line -> log.line(line.warn(), line.event(), line.message(), line.fields());
                case RebalanceEffect.Started ignored -> metrics.rebalanceStarted();
                case RebalanceEffect.Failed ignored -> metrics.rebalanceFailed();
            }
        }
    }

    private Status.Rebalance view() {
        Status.Rebalance view = planner.view(memory);
        metrics.rebalance(memory.following() != null, view.tasks(), memory.blockedTables().size(),
                memory.withoutShards().size());
        return view;
    }
}
