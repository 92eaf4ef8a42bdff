package org.citusrailway.registrar;

import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The second half of scaling out: Citus puts no existing data on a new worker until shards move. After a worker joins
 * a cluster with distributed tables, start ONE online rebalance, follow it to its end, and say exactly why when it
 * cannot run. What is owed is read from the catalog ({@link CoordinatorSession#workersWithoutShards()}), not
 * remembered, so a registrar restarted between the add and the rebalance still starts it. That check is cheap but not
 * free, so it runs right after an add or activation, at leadership, and otherwise once a minute (or on the backoff of
 * a blocked or failed attempt); a job being followed costs one query per pass. Touched only by the loop thread.
 */
final class Rebalancer {
    private static final Duration IDLE_CHECK = Duration.ofSeconds(60);
    private static final Duration WAITING_CHECK = Duration.ofSeconds(5);
    private static final Backoff BLOCKED_RETRY = new Backoff(Duration.ofSeconds(2), Duration.ofSeconds(60));
    private static final Backoff FAILED_RETRY = new Backoff(Duration.ofSeconds(15), Duration.ofMinutes(10));
    private static final long PROGRESS_EVERY_NANOS = Duration.ofSeconds(10).toNanos();
    private static final Pattern ALREADY_RUNNING = Pattern.compile("already running as job (\\d+)");
    private static final Pattern NO_IDENTITY = Pattern.compile("shards of the relation (.+?) since it doesn't have");
    static final String BLOCKED_FIX = "for each table: ALTER TABLE <table> REPLICA IDENTITY FULL; (or add a primary"
            + " key); the registrar retries on its own. Or set REBALANCE_TRANSFER_MODE=block_writes on the registrar"
            + " (writes to each shard pause while it moves)";

    private final boolean onJoin;
    private final ShardTransferMode transferMode;
    private final EventLog log;
    private final Metrics metrics;

    private boolean checkNow = true;
    private long nextCheckAt;
    private Long following;
    private long lastDoneLogged = -1;
    private long lastProgressAt;
    private RebalanceJob job;
    /** The workers the last started (or found needless) rebalance was for: no second start for the same set. */
    private List<HostPort> settledFor;
    private List<HostPort> withoutShards = List.of();
    private List<HostPort> neededReported;
    private List<String> blocked = List.of();
    private int blockedChecks;
    private int failures;
    private String state = "idle";
    private String detail = "not checked yet";
    private String fix;
    private String error;
    private Instant lastCheckAt;

    Rebalancer(boolean onJoin, ShardTransferMode transferMode, EventLog log, Metrics metrics) {
        this.onJoin = onJoin;
        this.transferMode = transferMode;
        this.log = log;
        this.metrics = metrics;
    }

    /** Check what is owed on the next pass (after an add or activation, and when leadership starts). */
    void nudge() {
        checkNow = true;
    }

    /**
     * One pass: follow the job in flight, or (when due) check whether a rebalance is owed and start it.
     *
     * @param retired     names in retired_workers: never a reason to rebalance
     * @param unreachable registered active workers that failed this pass's check: a rebalance now would fail
     */
    Status.Rebalance pass(CoordinatorSession session, Set<String> retired, List<HostPort> unreachable, long now)
            throws SQLException {
        boolean due = checkNow || now - nextCheckAt >= 0;
        if (following == null && !due) {
            return view();
        }
        checkNow = false;
        try {
            RebalanceJob latest = session.latestRebalanceJob();
            if (latest != null) {
                job = latest;
            }
            if (latest != null && latest.active()) {
                follow(latest, now);
                return view();
            }
            if (following != null) {
                due = ended(latest, now);
            }
            if (due) {
                check(session, retired, unreachable, now);
            }
        } catch (SQLException e) {
            if (session.broken(e)) {
                throw e;
            }
            failed("rebalance check failed: " + SqlErrors.message(e), SqlErrors.message(e), now);
        }
        return view();
    }

    private void follow(RebalanceJob latest, long now) {
        if (following == null || following != latest.jobId()) {
            following = latest.jobId();
            lastDoneLogged = -1;
            log.info(Event.REBALANCE_STARTED, "rebalance job " + latest.jobId() + " is " + latest.state()
                    + " (not started by this registrar); following it, no second one is started",
                    "job", latest.jobId(), "startedBy", "other");
        }
        state = "running";
        detail = "job " + latest.jobId() + " " + latest.state() + ": " + latest.done() + "/" + latest.total()
                + " tasks done";
        fix = null;
        error = latest.error();
        if (latest.done() != lastDoneLogged || now - lastProgressAt >= PROGRESS_EVERY_NANOS) {
            lastDoneLogged = latest.done();
            lastProgressAt = now;
            log.info(Event.REBALANCE_PROGRESS, "rebalance job " + latest.jobId() + ": " + latest.done() + "/"
                    + latest.total() + " tasks done " + latest.taskCounts(), "job", latest.jobId(),
                    "done", latest.done(), "total", latest.total(), "jobState", latest.state(), "error", latest.error());
        }
    }

    /** The followed job is over. Returns whether to check right away if more is owed. */
    private boolean ended(RebalanceJob latest, long now) {
        long id = following;
        following = null;
        if (latest != null && latest.finished()) {
            failures = 0;
            state = "idle";
            detail = "job " + id + " finished";
            error = null;
            fix = null;
            Duration took = latest.startedAt() == null || latest.finishedAt() == null ? null
                    : Duration.between(latest.startedAt(), latest.finishedAt());
            log.info(Event.REBALANCE_FINISHED, "rebalance job " + id + " finished: " + latest.done() + " tasks"
                    + (took == null ? "" : " in " + took.toMillis() / 1000.0 + " s"), "job", id,
                    "tasks", latest.done(), "seconds", took == null ? null : took.toMillis() / 1000.0);
            return true;
        }
        String jobState = latest == null ? "gone" : latest.state();
        String why = latest != null && latest.error() != null ? latest.error() : "job " + jobState;
        metrics.rebalanceFailed();
        if ("cancelled".equals(jobState)) {
            // Someone stopped it on purpose (citus_rebalance_stop): not restarted until the set of workers changes.
            state = "idle";
            detail = "job " + id + " was cancelled; not restarted for the same workers";
            log.warn(Event.REBALANCE_FAILED, "rebalance job " + id + " was cancelled; the registrar does not restart"
                    + " it for the same workers (SELECT citus_rebalance_start(); to run it)", "job", id,
                    "jobState", jobState, "error", why);
            nextCheckAt = now + IDLE_CHECK.toNanos();
            return false;
        }
        settledFor = null;
        failed("rebalance job " + id + " " + jobState + ": " + why, why, now);
        return false;
    }

    private void check(CoordinatorSession session, Set<String> retired, List<HostPort> unreachable, long now)
            throws SQLException {
        lastCheckAt = Instant.now();
        List<HostPort> lacking = new ArrayList<>();
        for (HostPort worker : session.workersWithoutShards()) {
            if (!retired.contains(worker.host())) {
                lacking.add(worker);
            }
        }
        withoutShards = List.copyOf(lacking);
        nextCheckAt = now + IDLE_CHECK.toNanos();
        if (lacking.isEmpty()) {
            settle("idle", "every active worker holds shards (or there are no distributed tables)");
            settledFor = null;
            neededReported = null;
            return;
        }
        if (lacking.equals(settledFor)) {
            settle("idle", "a rebalance already ran for " + lacking + "; Citus had nothing more to move there");
            return;
        }
        if (!onJoin) {
            state = "needed";
            detail = "workers without shards: " + lacking + "; REBALANCE_ON_JOIN=false";
            fix = "SELECT citus_rebalance_start();";
            if (!lacking.equals(neededReported)) {
                neededReported = lacking;
                log.info(Event.REBALANCE_NEEDED, "workers " + lacking + " hold no shards; REBALANCE_ON_JOIN=false, so"
                        + " start it yourself: SELECT citus_rebalance_start();", "workers", lacking);
            }
            return;
        }
        if (!unreachable.isEmpty()) {
            state = "waiting";
            detail = "workers without shards: " + lacking + "; waiting for unreachable " + unreachable
                    + " (a rebalance now would fail)";
            fix = null;
            nextCheckAt = now + WAITING_CHECK.toNanos();
            return;
        }
        if (transferMode.needsReplicaIdentity()) {
            List<String> tables = session.tablesBlockingOnlineMoves();
            if (!tables.isEmpty()) {
                blocked(tables, now);
                return;
            }
        }
        start(session, lacking, now);
    }

    private void start(CoordinatorSession session, List<HostPort> lacking, long now) throws SQLException {
        Long id;
        try {
            id = session.startRebalance(transferMode);
        } catch (SQLException e) {
            if (session.broken(e)) {
                throw e;
            }
            String message = SqlErrors.message(e);
            if (ALREADY_RUNNING.matcher(message).find()) {
                checkNow = true; // started elsewhere a moment ago: follow it from the next pass
                return;
            }
            Matcher table = NO_IDENTITY.matcher(message);
            if (table.find()) {
                blocked(List.of(table.group(1)), now);
                return;
            }
            failed("citus_rebalance_start() failed: " + message, message, now);
            return;
        }
        settledFor = lacking;
        blocked = List.of();
        blockedChecks = 0;
        failures = 0;
        error = null;
        fix = null;
        if (id == null) {
            settle("idle", "Citus found no moves to make for " + lacking);
            log.info(Event.REBALANCE_FINISHED, "rebalance for " + lacking + ": Citus found no moves to make",
                    "workers", lacking);
            return;
        }
        following = id;
        lastDoneLogged = -1;
        lastProgressAt = now;
        metrics.rebalanceStarted();
        state = "running";
        detail = "job " + id + " started for " + lacking;
        checkNow = true;
        log.info(Event.REBALANCE_STARTED, "rebalance job " + id + " started (citus_rebalance_start, "
                + transferMode.citusValue() + ", parallel transfers) for workers " + lacking + " without shards",
                "job", id, "workers", lacking, "startedBy", "registrar", "transferMode", transferMode.citusValue());
    }

    private void blocked(List<String> tables, long now) {
        blockedChecks++;
        boolean changed = !tables.equals(blocked);
        blocked = List.copyOf(tables);
        state = "blocked";
        detail = "tables without primary key or replica identity cannot move online: " + String.join(", ", tables);
        fix = BLOCKED_FIX;
        nextCheckAt = now + BLOCKED_RETRY.delay(blockedChecks).toNanos();
        if (changed || powerOfTwo(blockedChecks)) {
            StringBuilder fixes = new StringBuilder();
            for (String table : tables) {
                fixes.append(" ALTER TABLE ").append(table).append(" REPLICA IDENTITY FULL;");
            }
            log.warn(Event.REBALANCE_BLOCKED, "rebalance blocked: " + String.join(", ", tables) + " cannot move online"
                    + " (no primary key or replica identity). Fix:" + fixes + " (or add a primary key); or set"
                    + " REBALANCE_TRANSFER_MODE=block_writes on the registrar (writes to each shard pause while it"
                    + " moves). The worker stays registered; the registrar retries.", "tables", String.join(",", tables),
                    "checks", blockedChecks);
        }
    }

    private void failed(String message, String citusError, long now) {
        failures++;
        state = "failed";
        detail = message;
        error = citusError;
        fix = "see the error; the registrar retries with backoff (SELECT * FROM citus_rebalance_status(); shows the"
                + " job)";
        nextCheckAt = now + FAILED_RETRY.delay(failures).toNanos();
        if (powerOfTwo(failures)) {
            log.warn(Event.REBALANCE_FAILED, message, "error", citusError, "failures", failures);
        }
    }

    private void settle(String newState, String why) {
        state = newState;
        detail = why;
        fix = null;
        error = null;
        blocked = List.of();
        blockedChecks = 0;
    }

    private static boolean powerOfTwo(int n) {
        return n > 0 && (n & (n - 1)) == 0;
    }

    private Status.Rebalance view() {
        Map<String, Long> tasks = job == null ? Map.of() : job.taskCounts();
        boolean running = following != null;
        metrics.rebalance(running, tasks, blocked.size(), withoutShards.size());
        List<String> workers = new ArrayList<>();
        withoutShards.forEach(w -> workers.add(w.toString()));
        return new Status.Rebalance(onJoin, transferMode.citusValue(), state, detail, job == null ? null : job.jobId(),
                job == null ? null : job.state(), job == null ? null : job.startedAt(),
                job == null ? null : job.finishedAt(), job == null ? 0 : job.done(), job == null ? 0 : job.total(),
                tasks, List.copyOf(workers), blocked, fix, error, lastCheckAt);
    }
}
