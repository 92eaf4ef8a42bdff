package org.citusrailway.registrar;

import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.citusrailway.registrar.config.Config;
import org.citusrailway.registrar.coordinator.CoordinatorHeadStart;
import org.citusrailway.registrar.coordinator.CoordinatorSession;
import org.citusrailway.registrar.discovery.Discovery;
import org.citusrailway.registrar.name.HostPort;
import org.citusrailway.registrar.pg.PgConnector;
import org.citusrailway.registrar.pg.SqlErrors;
import org.citusrailway.registrar.probe.ReadinessWatch;
import org.citusrailway.registrar.probe.WorkerProbe;
import org.citusrailway.registrar.report.Event;
import org.citusrailway.registrar.report.EventLog;
import org.citusrailway.registrar.report.Metrics;
import org.citusrailway.registrar.report.Redactor;
import org.citusrailway.registrar.timing.Backoff;
import org.citusrailway.registrar.timing.Throttle;
import org.citusrailway.registrar.view.Status;

/**
 * The loop: keep a coordinator session, hold the advisory lock (or stand by), run a pass each SCAN_INTERVAL. Between
 * passes, candidates that are pending (their last probe failed cheaply) are watched every READY_CHECK_INTERVAL and a
 * pass runs at once when one of them becomes ready; with nothing pending the loop just sleeps. Transient faults never
 * end it; they are retried with capped exponential backoff. {@link #stop()} ends it promptly from any thread, even
 * mid-pass.
 */
public final class Registrar {
    private static final Backoff COORDINATOR_RETRY = new Backoff(Duration.ofMillis(250), Duration.ofSeconds(5));

    private final Config config;
    private final PgConnector connector;
    private final EventLog log;
    private final Metrics metrics = new Metrics();
    /** The one clock the loop and its steps read wall time from; the deciders are handed times, never read it. */
    private final InstantSource clock = InstantSource.system();
    private final Pass pass;
    private final ReadinessWatch readiness;
    private final BackupScheduler backups;
    /** Where backup rounds run: they take as long as the data, so never on the loop's thread. */
    private final ExecutorService backupRounds = Executors.newSingleThreadExecutor(
            Thread.ofPlatform().name("backup-scheduler").daemon(true).factory());

    private volatile boolean stopped;
    private volatile boolean running;
    private volatile Thread loopThread;
    private volatile CoordinatorSession session;
    private volatile CoordinatorHeadStart headStart;
    private volatile Status status = Status.STARTING;
    /** The role this loop last took; decisions read this, never the published {@link #status}. */
    private String role = Status.STARTING.role();
    /** The nodes whose backups the leader keeps, from its last pass; empty unless this registrar leads. */
    private volatile List<HostPort> backupNodes = List.of();
    private volatile String lastDecision;
    private int failures;
    private String lastProblem;

    public Registrar(Config config) {
        this(config, false);
    }

    /**
     * @param connectAhead open the first coordinator session at once on its own thread (see
     *                     {@link CoordinatorHeadStart}), before this constructor starts logging: as Main runs it
     */
    private Registrar(Config config, boolean connectAhead) {
        this.config = config;
        this.connector = new PgConnector(config);
        this.headStart = connectAhead ? CoordinatorHeadStart.begin(connector) : null;
        this.log = new EventLog(new Redactor(config.password()));
        WorkerProbe probe = new WorkerProbe(connector);
        this.pass = new Pass(config, new Discovery(config.dnsTimeout(), config.privateDomain()), probe, metrics, log,
                clock);
        this.readiness = new ReadinessWatch(probe, config.connectTimeout());
        this.backups = new BackupScheduler(config, connector, log, metrics, clock, backupRounds);
    }

    /** A registrar whose first coordinator session is already being opened; {@link #run()} uses it. */
    public static Registrar connectingAhead(Config config) {
        return new Registrar(config, true);
    }

    /** True from the start of the loop until it stops: Railway's healthcheck. */
    public boolean running() {
        return running && !stopped;
    }

    public String role() {
        return status.role();
    }

    public Status status() {
        return status.withBackups(backups.view());
    }

    public String statusJson() {
        return status().toJson();
    }

    public String metricsText() {
        return metrics.render();
    }

    EventLog log() {
        return log;
    }

    /** Runs on the calling thread until {@link #stop()}. */
    public void run() {
        loopThread = Thread.currentThread();
        running = true;
        try {
            while (!stopped) {
                long started = System.nanoTime();
                Duration pause = config.scanInterval();
                List<ReadinessWatch.Target> watch = List.of();
                try {
                    watch = cycle(started);
                    failures = 0;
                } catch (SQLException e) {
                    if (stopped) {
                        break;
                    }
                    pause = failed(e);
                } catch (InterruptedException e) {
                    if (stopped) {
                        break;
                    }
                } catch (RuntimeException e) {
                    if (stopped) {
                        break;
                    }
                    failures++;
                    metrics.passFailed();
                    report(Event.PASS_FAILED, "pass failed: " + e);
                    pause = COORDINATOR_RETRY.delay(failures);
                }
                pauseUntil(started + pause.toNanos(), watch);
            }
        } finally {
            running = false;
            backups.stop();
            backupRounds.shutdownNow();
            dropSession();
        }
    }

    /** Ends the loop and drops the coordinator connection at once (a statement in flight is abandoned). */
    public void stop() {
        stopped = true;
        backups.stop();
        backupRounds.shutdownNow();
        CoordinatorHeadStart early = headStart;
        if (early != null) {
            early.discard();
        }
        CoordinatorSession current = session;
        if (current != null) {
            current.abort();
        }
        Thread thread = loopThread;
        if (thread != null) {
            thread.interrupt();
        }
    }

    /** Waits for the loop to finish after {@link #stop()}. */
    public boolean awaitStopped(Duration timeout) throws InterruptedException {
        Thread thread = loopThread;
        if (thread == null || thread == Thread.currentThread()) {
            return true;
        }
        thread.join(timeout.toMillis());
        return !thread.isAlive();
    }

    /** One turn of the loop; returns the workers to watch until the next (none unless a leader pass ran). */
    private List<ReadinessWatch.Target> cycle(long started) throws SQLException, InterruptedException {
        Instant startedAt = clock.instant();
        CoordinatorSession current = session;
        if (current == null) {
            current = openSession();
            session = current;
            if (stopped) {
                current.abort();
                return List.of();
            }
            metrics.coordinatorUp(true);
            log.info(Event.COORDINATOR_CONNECTED, "connected to coordinator " + config.coordinator(),
                    "coordinator", config.coordinator());
            lastProblem = null;
        }
        if (!current.isLeader()) {
            if (!current.tryLead()) {
                if (!"standby".equals(role)) {
                    log.info(Event.STANDBY, "another registrar holds the advisory lock " + CoordinatorSession.ADVISORY_LOCK_KEY
                            + "; standing by", "lock", CoordinatorSession.ADVISORY_LOCK_KEY);
                }
                publishRole("standby", null);
                return List.of();
            }
            log.info(Event.LEADER_ACQUIRED, "holding advisory lock " + CoordinatorSession.ADVISORY_LOCK_KEY
                    + "; this registrar acts", "lock", CoordinatorSession.ADVISORY_LOCK_KEY);
            publishRole("leader", null);
            if (current.ensureRetiredTable()) {
                log.info(Event.RETIRED_TABLE_CREATED, "created citus_registrar.retired_workers on the coordinator");
            }
            if (current.ensureKnownTable()) {
                log.info(Event.KNOWN_TABLE_CREATED, "created citus_registrar.known_workers on the coordinator");
            }
            pass.lead(current);
        }
        if (current.citusVersion() == null && !current.readIdentity()) {
            String problem = "the citus extension is not created in database " + config.database() + " on the coordinator";
            if (!problem.equals(lastProblem)) {
                log.warn(Event.COORDINATOR_NOT_READY, "coordinator not ready: " + problem, "error", problem);
                lastProblem = problem;
            }
            publishRole("leader", problem);
            return List.of();
        }
        lastProblem = null;
        Pass.Result result = pass.run(current, started, startedAt);
        status = result.status();
        backupNodes = result.backupNodes();
        lastDecision = result.decided();
        backups.step(backupNodes, System.nanoTime());
        return pass.pending();
    }

    private CoordinatorSession openSession() throws SQLException, InterruptedException {
        CoordinatorHeadStart early = headStart;
        if (early == null) {
            return CoordinatorSession.open(connector);
        }
        headStart = null;
        return early.take();
    }

    private Duration failed(SQLException e) {
        failures++;
        metrics.passFailed();
        String error = SqlErrors.message(e);
        CoordinatorSession current = session;
        if (current == null || current.broken(e)) {
            boolean wasLeader = current != null && current.isLeader();
            dropSession();
            if (wasLeader) {
                log.warn(Event.LEADERSHIP_LOST, "coordinator session lost; no longer acting until the lock is held again",
                        "error", error);
            }
            report(Event.COORDINATOR_UNREACHABLE, "coordinator " + config.coordinator() + " unreachable: " + error);
            publishRole("disconnected", error);
        } else {
            report(Event.PASS_FAILED, "pass failed: " + error);
            status = status.withRole(role, true, error);
        }
        return COORDINATOR_RETRY.delay(failures);
    }

    /** Logs a repeated problem once when it changes, then again only at growing failure counts (1, 2, 4, 8 …). */
    private void report(Event event, String message) {
        if (!message.equals(lastProblem) || failures == 0 || Throttle.onDoubling(failures)) {
            log.warn(event, message, "failures", failures);
        }
        lastProblem = message;
    }

    /** What the last leader pass decided, in one line (null before the first). */
    String lastDecision() {
        return lastDecision;
    }

    private void publishRole(String newRole, String error) {
        if (!"leader".equals(newRole)) {
            backupNodes = List.of();
        }
        metrics.leader("leader".equals(newRole));
        role = newRole;
        status = status.withRole(newRole, session != null, error);
    }

    private void dropSession() {
        CoordinatorSession current = session;
        session = null;
        backupNodes = List.of();
        metrics.coordinatorUp(false);
        metrics.leader(false);
        if (current != null) {
            current.abort();
        }
    }

    /**
     * Sleeps until the deadline; returns early when stopped, or when a watched worker looks ready (then the next pass
     * runs at once). Interruptible: {@link #stop()} wakes it, and one readiness check is bounded by about a second.
     */
    private void pauseUntil(long deadline, List<ReadinessWatch.Target> watch) {
        readiness.watch(watch);
        long step = config.readyCheckInterval().toNanos();
        long nextCheck = System.nanoTime() + step;
        long left;
        while (!stopped && (left = deadline - System.nanoTime()) > 0) {
            long wait = Math.min(left, TimeUnit.MILLISECONDS.toNanos(500));
            if (!watch.isEmpty()) {
                long untilCheck = nextCheck - System.nanoTime();
                if (untilCheck <= 0) {
                    HostPort ready = readiness.firstReady();
                    if (ready != null) {
                        pass.triggeredBy(ready);
                        return;
                    }
                    nextCheck = System.nanoTime() + step;
                    continue;
                }
                wait = Math.min(wait, untilCheck);
            }
            LockSupport.parkNanos(this, wait);
            backups.step(backupNodes, System.nanoTime());
            if (Thread.interrupted() && stopped) {
                return;
            }
        }
    }
}
