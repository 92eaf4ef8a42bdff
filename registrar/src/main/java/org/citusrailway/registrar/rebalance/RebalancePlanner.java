package org.citusrailway.registrar.rebalance;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.citusrailway.registrar.config.ShardTransferMode;
import org.citusrailway.registrar.name.HostPort;
import org.citusrailway.registrar.report.Event;
import org.citusrailway.registrar.row.RebalanceJob;
import org.citusrailway.registrar.timing.Backoff;
import org.citusrailway.registrar.timing.Throttle;
import org.citusrailway.registrar.view.Status;

/**
 * The rebalancer's decisions as pure functions: what it remembers ({@link RebalanceState}, immutable) and what one
 * pass read ({@link RebalanceFacts}) in, the next state, the log lines and counters to publish, and whether to start a
 * rebalance out ({@link Step}, its write a {@link Start} that the start's answer settles). One planning call per pass;
 * no I/O here: {@code Rebalancer} reads, starts and publishes.
 */
public final class RebalancePlanner {
    static final Duration IDLE_CHECK = Duration.ofSeconds(60);
    static final Duration WAITING_CHECK = Duration.ofSeconds(5);
    static final Backoff BLOCKED_RETRY = new Backoff(Duration.ofSeconds(2), Duration.ofSeconds(60));
    static final Backoff FAILED_RETRY = new Backoff(Duration.ofSeconds(15), Duration.ofMinutes(10));
    static final long PROGRESS_EVERY_NANOS = Duration.ofSeconds(10).toNanos();
    static final String BLOCKED_FIX = "for each table: ALTER TABLE <table> REPLICA IDENTITY FULL; (or add a primary"
            + " key); the registrar retries on its own. Or set REBALANCE_TRANSFER_MODE=block_writes on the registrar"
            + " (writes to each shard pause while it moves)";
    static final String NEEDED_FIX = "SELECT citus_rebalance_start();";
    static final String FAILED_FIX = "see the error; the registrar retries with backoff (SELECT * FROM"
            + " citus_rebalance_status(); shows the job)";

    private final boolean onJoin;
    private final ShardTransferMode mode;

    public RebalancePlanner(boolean onJoin, ShardTransferMode mode) {
        this.onJoin = onJoin;
        this.mode = mode;
    }

    /**
     * Where the rebalance stands, each phase with what only it has: /status shows its id, detail, fix and error, and
     * a phase never shows what a previous one left behind.
     */
    public sealed interface Phase {
        String id();

        String detail();

        default String fix() {
            return null;
        }

        default String error() {
            return null;
        }

        /** Nothing owed, or nothing more to do: why. */
        record Idle(String detail) implements Phase {
            public String id() {
                return "idle";
            }
        }

        /** Owed, but REBALANCE_ON_JOIN=false: the user starts it. */
        record Needed(List<HostPort> workers) implements Phase {
            public String id() {
                return "needed";
            }

            public String detail() {
                return "workers without shards: " + workers + "; REBALANCE_ON_JOIN=false";
            }

            public String fix() {
                return NEEDED_FIX;
            }
        }

        /** Owed, but a worker is unreachable: a rebalance now would fail. */
        record Waiting(List<HostPort> workers, List<HostPort> unreachable) implements Phase {
            public String id() {
                return "waiting";
            }

            public String detail() {
                return "workers without shards: " + workers + "; waiting for unreachable " + unreachable
                        + " (a rebalance now would fail)";
            }
        }

        /** Tables without a primary key or replica identity stop an online move. */
        record Blocked(List<String> tables) implements Phase {
            public String id() {
                return "blocked";
            }

            public String detail() {
                return "tables without primary key or replica identity cannot move online: "
                        + String.join(", ", tables);
            }

            public String fix() {
                return BLOCKED_FIX;
            }
        }

        /** A job runs (this registrar's or another's); followed to its end. */
        record Running(String detail, String error) implements Phase {
            public String id() {
                return "running";
            }
        }

        /** The start, the job or a check failed: retried with backoff. */
        record Failed(String detail, String error) implements Phase {
            public String id() {
                return "failed";
            }

            public String fix() {
                return FAILED_FIX;
            }
        }
    }

    /**
     * @param following      the job being followed to its end, or null
     * @param doneFor     the workers the last started (or found needless) rebalance was for: no second start
     * @param neededReported the workers last reported as owed a rebalance (REBALANCE_ON_JOIN=false): said once
     */
    public record RebalanceState(boolean checkNow, long nextCheckAt, Long following, long lastDoneLogged,
            long lastProgressAt, RebalanceJob job, List<HostPort> doneFor, List<HostPort> withoutShards,
            List<HostPort> neededReported, int blockedChecks, int failures, Phase phase, Instant lastCheckAt) {

        public static RebalanceState initial() {
            return new RebalanceState(true, 0, null, -1, 0, null, null, List.of(), null, 0, 0,
                    new Phase.Idle("not checked yet"), null);
        }

        boolean due(long now) {
            return checkNow || now - nextCheckAt >= 0;
        }

        /** The tables that stop an online move, while blocked. */
        public List<String> blockedTables() {
            return phase instanceof Phase.Blocked blocked ? blocked.tables() : List.of();
        }

        /** Whether this pass has anything to read: a job to follow, or a check that is due. */
        public boolean wantsLook(long now) {
            return following != null || due(now);
        }

        /** Check what is owed on the next pass (after an add or activation, and when leadership starts). */
        public RebalanceState nudged() {
            Draft d = new Draft(this);
            d.checkNow = true;
            return d.memory();
        }
    }

    /**
     * What one pass read.
     *
     * @param latest                 the newest rebalance job, or null
     * @param withoutShards          active workers holding no shards; read only when {@link #needsCatalog} says so
     * @param tablesWithoutIdentity  tables that cannot move online; read with withoutShards when the mode needs it
     * @param retired                names in retired_workers: never a reason to rebalance
     * @param unreachable            registered active workers that failed this pass's check: a rebalance would fail
     */
    public record RebalanceFacts(RebalanceJob latest, List<HostPort> withoutShards, List<String> tablesWithoutIdentity,
            Set<String> retired, List<HostPort> unreachable, Instant at) {
    }

    public sealed interface RebalanceEffect {
        record Log(boolean warn, Event event, String message, List<Object> fields) implements RebalanceEffect {
        }

        record Started() implements RebalanceEffect {
        }

        record Failed() implements RebalanceEffect {
        }
    }

    /**
     * One pass's decision.
     *
     * @param start the rebalance to start now, or null; its answer settles the step ({@link #settle})
     */
    public record Step(RebalanceState memory, List<RebalanceEffect> effects, Start start) {

        /** The workers a rebalance starts for in this step, or null. */
        public List<HostPort> startFor() {
            return start == null ? null : start.workers();
        }

        /** What the start's answer makes of this step: the next memory, and the answer's own effects to publish. */
        public Step settle(StartResult result, long now) {
            return started(memory, start, result, now);
        }
    }

    /** The write a step may plan: citus_rebalance_start in {@code mode}, for {@code workers} without shards. */
    public record Start(List<HostPort> workers, ShardTransferMode mode) {
    }

    /** What citus_rebalance_start() did. */
    public sealed interface StartResult {
        record Job(long id) implements StartResult {
        }

        record NoMoves() implements StartResult {
        }

        record AlreadyRunning() implements StartResult {
        }

        record NoIdentity(String table) implements StartResult {
        }

        record Refused(String message) implements StartResult {
        }
    }

    /** Whether the pass must also read the tables that cannot move online: only when they could stop the start. */
    public boolean needsIdentityCheck(List<HostPort> withoutShards) {
        return mode.needsReplicaIdentity() && !withoutShards.isEmpty();
    }

    /** Whether the pass must read the catalog (workers without shards, tables) before {@link #plan}. */
    public boolean needsCatalog(RebalanceState m, RebalanceJob latest, long now) {
        if (latest != null && latest.active()) {
            return false;
        }
        if (m.following() != null) {
            return latest != null && latest.finished();
        }
        return m.due(now);
    }

    /** One pass, given that {@link RebalanceState#wantsLook} was true and the observation was read. */
    public Step plan(RebalanceState m, RebalanceFacts o, long now) {
        Draft d = new Draft(m);
        boolean due = m.due(now);
        d.checkNow = false;
        if (o.latest() != null) {
            d.job = o.latest();
        }
        if (o.latest() != null && o.latest().active()) {
            follow(d, o.latest(), now);
            return d.step(null);
        }
        if (d.following != null) {
            due = ended(d, o.latest(), now);
        }
        List<HostPort> lacking = due ? check(d, o, now) : null;
        return d.step(lacking == null ? null : new Start(lacking, mode));
    }

    /** The answer to a start {@code m}'s step asked for (tests start from any memory). */
    Step started(RebalanceState m, List<HostPort> lacking, StartResult result, long now) {
        return started(m, new Start(lacking, mode), result, now);
    }

    private static Step started(RebalanceState m, Start start, StartResult result, long now) {
        List<HostPort> lacking = start.workers();
        ShardTransferMode mode = start.mode();
        Draft d = new Draft(m);
        switch (result) {
            case StartResult.AlreadyRunning ignored -> d.checkNow = true; // started elsewhere: follow it next pass
            case StartResult.NoIdentity n -> blocked(d, List.of(n.table()), now);
            case StartResult.Refused r -> failed(d, "citus_rebalance_start() failed: " + r.message(), r.message(), now);
            case StartResult.NoMoves ignored -> {
                startedReset(d, lacking);
                nothingOwed(d, "Citus found no moves to make for " + lacking);
                d.log(false, Event.REBALANCE_FINISHED, "rebalance for " + lacking + ": Citus found no moves to make",
                        "workers", lacking);
            }
            case StartResult.Job job -> {
                startedReset(d, lacking);
                d.following = job.id();
                d.lastDoneLogged = -1;
                d.lastProgressAt = now;
                d.effects.add(new RebalanceEffect.Started());
                d.phase = new Phase.Running("job " + job.id() + " started for " + lacking, null);
                d.checkNow = true;
                d.log(false, Event.REBALANCE_STARTED, "rebalance job " + job.id() + " started (citus_rebalance_start, "
                        + mode.citusValue() + ", parallel transfers) for workers " + lacking + " without shards",
                        "job", job.id(), "workers", lacking, "startedBy", "registrar", "transferMode", mode.citusValue());
            }
        }
        return d.step(null);
    }

    /** A read of this pass failed (the session itself is fine). */
    public Step checkFailed(RebalanceState m, String message, long now) {
        Draft d = new Draft(m);
        d.checkNow = false; // retried on the failure backoff, not on the next pass
        failed(d, "rebalance check failed: " + message, message, now);
        return d.step(null);
    }

    /** /status's view; {@code tasks} etc. also feed /metrics. */
    public Status.Rebalance view(RebalanceState m) {
        RebalanceJob job = m.job();
        List<String> workers = new ArrayList<>();
        m.withoutShards().forEach(w -> workers.add(w.toString()));
        return new Status.Rebalance(onJoin, mode.citusValue(), m.phase().id(), m.phase().detail(),
                job == null ? null : job.jobId(), job == null ? null : job.state(), job == null ? null : job.startedAt(),
                job == null ? null : job.finishedAt(), job == null ? 0 : job.done(), job == null ? 0 : job.total(),
                job == null ? Map.of() : job.taskCounts(), List.copyOf(workers), m.blockedTables(), m.phase().fix(),
                m.phase().error(), m.lastCheckAt());
    }

    private void follow(Draft d, RebalanceJob latest, long now) {
        if (d.following == null || d.following != latest.jobId()) {
            d.following = latest.jobId();
            d.lastDoneLogged = -1;
            d.log(false, Event.REBALANCE_STARTED, "rebalance job " + latest.jobId() + " is " + latest.state()
                    + " (not started by this registrar); following it, no second one is started",
                    "job", latest.jobId(), "startedBy", "other");
        }
        d.phase = new Phase.Running("job " + latest.jobId() + " " + latest.state() + ": " + latest.done() + "/"
                + latest.total() + " tasks done", latest.error());
        if (latest.done() != d.lastDoneLogged || now - d.lastProgressAt >= PROGRESS_EVERY_NANOS) {
            d.lastDoneLogged = latest.done();
            d.lastProgressAt = now;
            d.log(false, Event.REBALANCE_PROGRESS, "rebalance job " + latest.jobId() + ": " + latest.done() + "/"
                    + latest.total() + " tasks done " + latest.taskCounts(), "job", latest.jobId(),
                    "done", latest.done(), "total", latest.total(), "jobState", latest.state(), "error", latest.error());
        }
    }

    /** The followed job is over. Returns whether to check right away if more is owed. */
    private boolean ended(Draft d, RebalanceJob latest, long now) {
        long id = d.following;
        d.following = null;
        if (latest != null && latest.finished()) {
            d.failures = 0;
            d.phase = new Phase.Idle("job " + id + " finished");
            Duration took = latest.startedAt() == null || latest.finishedAt() == null ? null
                    : Duration.between(latest.startedAt(), latest.finishedAt());
            d.log(false, Event.REBALANCE_FINISHED, "rebalance job " + id + " finished: " + latest.done() + " tasks"
                    + (took == null ? "" : " in " + took.toMillis() / 1000.0 + " s"), "job", id,
                    "tasks", latest.done(), "seconds", took == null ? null : took.toMillis() / 1000.0);
            return true;
        }
        String jobState = latest == null ? "gone" : latest.state();
        String why = latest != null && latest.error() != null ? latest.error() : "job " + jobState;
        d.effects.add(new RebalanceEffect.Failed());
        if ("cancelled".equals(jobState)) {
            // Someone stopped it on purpose (citus_rebalance_stop): not restarted until the set of workers changes.
            d.phase = new Phase.Idle("job " + id + " was cancelled; not restarted for the same workers");
            d.log(true, Event.REBALANCE_FAILED, "rebalance job " + id + " was cancelled; the registrar does not restart"
                    + " it for the same workers (SELECT citus_rebalance_start(); to run it)", "job", id,
                    "jobState", jobState, "error", why);
            d.nextCheckAt = now + IDLE_CHECK.toNanos();
            return false;
        }
        d.doneFor = null;
        failed(d, "rebalance job " + id + " " + jobState + ": " + why, why, now);
        return false;
    }

    /** Returns the workers to start a rebalance for, or null. */
    private List<HostPort> check(Draft d, RebalanceFacts o, long now) {
        d.lastCheckAt = o.at();
        List<HostPort> lacking = new ArrayList<>();
        for (HostPort worker : o.withoutShards()) {
            if (!o.retired().contains(worker.host())) {
                lacking.add(worker);
            }
        }
        d.withoutShards = List.copyOf(lacking);
        d.nextCheckAt = now + IDLE_CHECK.toNanos();
        if (lacking.isEmpty()) {
            nothingOwed(d, "every active worker holds shards (or there are no distributed tables)");
            d.doneFor = null;
            d.neededReported = null;
            return null;
        }
        if (lacking.equals(d.doneFor)) {
            nothingOwed(d, "a rebalance already ran for " + lacking + "; Citus had nothing more to move there");
            return null;
        }
        if (!onJoin) {
            d.phase = new Phase.Needed(List.copyOf(lacking));
            if (!lacking.equals(d.neededReported)) {
                d.neededReported = lacking;
                d.log(false, Event.REBALANCE_NEEDED, "workers " + lacking + " hold no shards; REBALANCE_ON_JOIN=false,"
                        + " so start it yourself: SELECT citus_rebalance_start();", "workers", lacking);
            }
            return null;
        }
        if (!o.unreachable().isEmpty()) {
            d.phase = new Phase.Waiting(List.copyOf(lacking), List.copyOf(o.unreachable()));
            d.nextCheckAt = now + WAITING_CHECK.toNanos();
            return null;
        }
        if (mode.needsReplicaIdentity() && !o.tablesWithoutIdentity().isEmpty()) {
            blocked(d, o.tablesWithoutIdentity(), now);
            return null;
        }
        return List.copyOf(lacking);
    }

    private static void startedReset(Draft d, List<HostPort> lacking) {
        d.doneFor = lacking;
        d.blockedChecks = 0;
        d.failures = 0;
    }

    private static void blocked(Draft d, List<String> tables, long now) {
        d.blockedChecks++;
        boolean changed = !(d.phase instanceof Phase.Blocked blocked && blocked.tables().equals(tables));
        d.phase = new Phase.Blocked(List.copyOf(tables));
        d.nextCheckAt = now + BLOCKED_RETRY.delay(d.blockedChecks).toNanos();
        if (changed || Throttle.onDoubling(d.blockedChecks)) {
            StringBuilder fixes = new StringBuilder();
            for (String table : tables) {
                fixes.append(" ALTER TABLE ").append(table).append(" REPLICA IDENTITY FULL;");
            }
            d.log(true, Event.REBALANCE_BLOCKED, "rebalance blocked: " + String.join(", ", tables) + " cannot move"
                    + " online (no primary key or replica identity). Fix:" + fixes + " (or add a primary key); or set"
                    + " REBALANCE_TRANSFER_MODE=block_writes on the registrar (writes to each shard pause while it"
                    + " moves). The worker stays registered; the registrar retries.", "tables", String.join(",", tables),
                    "checks", d.blockedChecks);
        }
    }

    private static void failed(Draft d, String message, String citusError, long now) {
        d.failures++;
        d.phase = new Phase.Failed(message, citusError);
        d.nextCheckAt = now + FAILED_RETRY.delay(d.failures).toNanos();
        if (Throttle.onDoubling(d.failures)) {
            d.log(true, Event.REBALANCE_FAILED, message, "error", citusError, "failures", d.failures);
        }
    }

    private static void nothingOwed(Draft d, String why) {
        d.phase = new Phase.Idle(why);
        d.blockedChecks = 0;
    }

    /** A memory being changed inside one pure step; never escapes it. */
    private static final class Draft {
        boolean checkNow;
        long nextCheckAt;
        Long following;
        long lastDoneLogged;
        long lastProgressAt;
        RebalanceJob job;
        List<HostPort> doneFor;
        List<HostPort> withoutShards;
        List<HostPort> neededReported;
        int blockedChecks;
        int failures;
        Phase phase;
        Instant lastCheckAt;
        final List<RebalanceEffect> effects = new ArrayList<>();

        Draft(RebalanceState m) {
            checkNow = m.checkNow();
            nextCheckAt = m.nextCheckAt();
            following = m.following();
            lastDoneLogged = m.lastDoneLogged();
            lastProgressAt = m.lastProgressAt();
            job = m.job();
            doneFor = m.doneFor();
            withoutShards = m.withoutShards();
            neededReported = m.neededReported();
            blockedChecks = m.blockedChecks();
            failures = m.failures();
            phase = m.phase();
            lastCheckAt = m.lastCheckAt();
        }

        void log(boolean warn, Event event, String message, Object... fields) {
            effects.add(new RebalanceEffect.Log(warn, event, message, Arrays.asList(fields)));
        }

        RebalanceState memory() {
            return new RebalanceState(checkNow, nextCheckAt, following, lastDoneLogged, lastProgressAt, job, doneFor,
                    withoutShards, neededReported, blockedChecks, failures, phase, lastCheckAt);
        }

        Step step(Start start) {
            return new Step(memory(), List.copyOf(effects), start);
        }
    }
}
