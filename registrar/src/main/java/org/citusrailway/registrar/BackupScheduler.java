package org.citusrailway.registrar;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.locks.LockSupport;
import org.citusrailway.registrar.backup.BackupPlan;
import org.citusrailway.registrar.backup.NodeBackupCommand;
import org.citusrailway.registrar.backup.PointArchive;
import org.citusrailway.registrar.config.Config;
import org.citusrailway.registrar.name.HostPort;
import org.citusrailway.registrar.pg.PgConnector;
import org.citusrailway.registrar.pg.SqlErrors;
import org.citusrailway.registrar.report.Event;
import org.citusrailway.registrar.report.EventLog;
import org.citusrailway.registrar.report.Metrics;
import org.citusrailway.registrar.row.StanzaBackup;
import org.citusrailway.registrar.row.VolumeUsage;
import org.citusrailway.registrar.timing.Backoff;
import org.citusrailway.registrar.timing.Throttle;
import org.citusrailway.registrar.view.BackupView;
import org.citusrailway.registrar.view.NodeBackups;
import org.citusrailway.registrar.view.PendingPoint;

/**
 * Backups of every node that has a bucket, and cluster-wide restore points, on the schedule of {@link BackupSchedule}.
 * Only the leader (the registrar holding the advisory lock) schedules, on a thread of its own: a backup takes
 * minutes to hours while passes go on. One round every {@code checkEvery}: observe (each active node's backup command,
 * its stanza's backups, its volume) → plan ({@link BackupPlan}) → apply (backups one node at a time, so they never
 * compete for the same disks and network; then {@code citus_create_restore_point}) → publish (events, {@code /status},
 * {@code /metrics}). A point is announced, counted and noted in every stanza only once it is restorable: the WAL
 * holding it archived on every node ({@link PointArchive}); until then it is pending and no newer point is made. What
 * it knows of backups comes from the bucket each round, so a restarted or new leader carries on where the last one
 * stopped; a bucket that cannot be read is an error, never an empty stanza.
 */
public final class BackupScheduler {
    private static final Backoff RETRY = new Backoff(Duration.ofMinutes(5), Duration.ofHours(1));
    /** How long a round waits for a new point's WAL to reach every bucket before it calls the point pending. */
    private static final Duration POINT_ARCHIVE_WAIT = Duration.ofSeconds(30);
    private static final DateTimeFormatter POINT_NAME = DateTimeFormatter.ofPattern("'citus-'yyyyMMdd'T'HHmmss'Z'")
            .withZone(ZoneOffset.UTC);

    private final Config config;
    private final PgConnector connector;
    private final EventLog log;
    private final Metrics metrics;
    /** The loop's clock: every time a round decides or records by comes from it. */
    private final InstantSource clock;
    /** The loop's executor for rounds: one at a time, off the loop's thread. */
    private final Executor rounds;
    private final Map<HostPort, NodeBackups> seen = new LinkedHashMap<>(); // in the order of the nodes
    private final Set<HostPort> volumeLow = new HashSet<>();
    private Set<HostPort> withoutBucket = Set.of();
    private String lastPoint;
    private Instant lastPointAt;
    /** The pending point was abandoned: the next round makes a new one whatever the interval says. */
    private boolean pointAbandoned;
    /** The coordinator's timeline when the pending point was made. */
    private String pointTimeline;
    private PendingPoint pending;
    private volatile BackupView view = BackupView.NONE;
    private volatile boolean stopped;
    private volatile boolean roundRunning;
    /** When the next round is due (System.nanoTime); null: at the first step. */
    private volatile Long nextRoundAt;
    private volatile Connection current;

    public BackupScheduler(Config config, PgConnector connector, EventLog log, Metrics metrics, InstantSource clock,
            Executor rounds) {
        this.config = config;
        this.connector = connector;
        this.log = log;
        this.metrics = metrics;
        this.clock = clock;
        this.rounds = rounds;
    }

    public BackupView view() {
        return view;
    }

    /**
     * The loop's step, run after each leader pass and while it waits for the next: with the nodes of its last pass,
     * starts a round on the loop's executor when one is due and none is running. A round takes as long as its backups
     * do, so it never runs on the loop's own thread.
     */
    public void step(List<HostPort> nodes, long now) {
        if (stopped || roundRunning || nodes.isEmpty() || nextRoundAt != null && now - nextRoundAt < 0) {
            return;
        }
        roundRunning = true;
        try {
            rounds.execute(() -> {
                try {
                    round(nodes);
                } catch (RuntimeException e) {
                    log.warn(Event.BACKUP_FAILED, "backup round failed: " + e, "error", String.valueOf(e));
                } finally {
                    nextRoundAt = System.nanoTime() + config.backupSchedule().checkEvery().toNanos();
                    roundRunning = false;
                }
            });
        } catch (RejectedExecutionException stopping) {
            roundRunning = false;
        }
    }

    /** Stops between rounds, or at once by dropping the connection in use (a backup in flight finishes on the node). */
    public void stop() {
        stopped = true;
        Connection connection = current;
        if (connection != null) {
            try {
                connection.abort(Runnable::run);
            } catch (SQLException | RuntimeException ignored) {
                // it is being dropped anyway
            }
        }
    }

    /** One round; runs only on the loop's executor for rounds, one at a time. */
    void round(List<HostPort> nodes) {
        Instant now = clock.instant();
        observeAll(nodes);
        seen.keySet().retainAll(new HashSet<>(nodes));
        noticeNodesWithoutBucket(nodes);
        if (pending != null) {
            confirmPoint(nodes, Duration.ZERO);
        }
        List<BackupPlan.NodeSeen> input = new ArrayList<>();
        boolean unreadable = false;
        for (HostPort node : nodes) {
            NodeBackups n = seen.get(node);
            input.add(new BackupPlan.NodeSeen(node, n.reachable() && n.configured() && n.stanzaReady()
                    && n.bucketReadable(), n.newestFullAt(), n.newest() == null ? null : n.newest().finishedAt(),
                    n.retryAfter()));
            unreadable |= n.reachable() && n.configured() && !n.bucketReadable();
        }
        BackupPlan.Round plan = BackupPlan.plan(input, pointAbandoned ? null : lastPointAt, pending != null || unreadable, now,
                config.backupSchedule());
        for (BackupPlan.Action action : plan.actions()) {
            switch (action) {
                case BackupPlan.Action.TakeBackup backup -> {
                    if (stopped) {
                        return;
                    }
                    takeBackup(backup.node(), backup.type());
                }
                case BackupPlan.Action.CreateRestorePoint ignored -> {
                    if (!stopped) {
                        createRestorePoint(nodes);
                    }
                }
            }
        }
        publish(nodes, now);
    }

    /** What one look at a node found, and the newest restore point noted in its stanza. */
    private record Look(NodeBackups node, String point, Instant pointAt) {
    }

    /**
     * Looks at every node at once: a look at a bucket that does not answer takes up to twice BACKUP_IO_TIMEOUT
     * (node/backup-command.sh), and one after the other an outage would hold the round for that per node.
     */
    private void observeAll(List<HostPort> nodes) {
        Map<HostPort, java.util.concurrent.Future<Look>> looks = new LinkedHashMap<>();
        try (var executor = java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor()) {
            for (HostPort node : nodes) {
                NodeBackups before = seen.getOrDefault(node, NodeBackups.unseen(node));
                looks.put(node, executor.submit(() -> look(node, before)));
            }
        }
        looks.forEach((node, look) -> {
            try {
                record(look.resultNow());
            } catch (IllegalStateException e) { // the look itself failed: its exception
                log.warn(Event.BACKUP_FAILED, "looking at the backups of node " + node + " failed: "
                        + look.exceptionNow(), "node", node, "error", String.valueOf(look.exceptionNow()));
            }
        });
    }

    private void observe(HostPort node) {
        record(look(node, seen.getOrDefault(node, NodeBackups.unseen(node))));
    }

    private void record(Look look) {
        seen.put(look.node().node(), look.node());
        if (look.pointAt() != null && (lastPointAt == null || look.pointAt().isAfter(lastPointAt))) {
            lastPoint = look.point();
            lastPointAt = look.pointAt();
        }
    }

    /** Reads a node's backups; touches nothing of the scheduler's, so looks can run at once. */
    private Look look(HostPort node, NodeBackups before) {
        try (Connection connection = open(node)) {
            NodeBackupCommand command = NodeBackupCommand.of(connection);
            if (command == null) {
                return new Look(NodeBackups.reached(node, false, null), null, null);
            }
            VolumeUsage disk = command.disk();
            NodeBackupCommand.Info info = command.info();
            if (info.error() != null) {
                // The bucket could not be read: the node's backups are what they were, not none (a full backup
                // started because a read failed would be a mistake, and /status would show backups gone).
                return new Look(before.unread(true, true, info.error(), clock.instant(), disk), null, null);
            }
            int failures = before.failures();
            if (info.stanzaMissing()) {
                // The node creates it in the background after boot (or says backup-bucket-unreachable): not yet.
                return new Look(NodeBackups.reached(node, true, disk).failures(failures, before.retryAfter())
                        .error("stanza not created yet (" + info.stanzaMessage() + "); see the node's"
                                + " backup-bucket-unreachable line if it stays", clock.instant())
                        .stanzaMissing(), null, null);
            }
            // A failed backup's error stands until a backup succeeds.
            boolean keep = failures > 0;
            NodeBackups read = NodeBackups.reached(node, true, disk).failures(failures, before.retryAfter())
                    .error(keep ? before.lastError() : null, keep ? before.lastErrorAt() : null)
                    .stanza(info.newest(), info.newestFullAt(), info.count(), info.newestPoint());
            return new Look(read, info.newestPoint(), info.newestPointAt());
        } catch (SQLException e) {
            return new Look(before.unread(false, before.configured(), SqlErrors.message(e), clock.instant(),
                    before.disk()), null, null);
        } finally {
            current = null;
        }
    }

    private void takeBackup(HostPort node, String type) {
        NodeBackups before = seen.get(node);
        seen.put(node, before.running(type));
        publish(List.copyOf(seen.keySet()), clock.instant());
        log.info(Event.BACKUP_STARTED, "taking a " + type + " backup of node " + node, "node", node, "type", type);
        long started = System.nanoTime();
        String error;
        try (Connection connection = open(node)) {
            NodeBackupCommand command = NodeBackupCommand.of(connection);
            error = command == null ? "the node no longer has a bucket" : command.backup(type);
        } catch (SQLException e) {
            error = SqlErrors.message(e);
        } finally {
            current = null;
        }
        long seconds = Duration.ofNanos(System.nanoTime() - started).toSeconds();
        try {
            recordBackup(node, type, before, error, seconds);
        } finally {
            publish(List.copyOf(seen.keySet()), clock.instant());
        }
    }

    private void recordBackup(HostPort node, String type, NodeBackups before, String error, long seconds) {
        if (error == null) {
            metrics.backupCompleted();
            seen.put(node, before.succeeded());
            observe(node);
            StanzaBackup newest = seen.get(node).newest();
            log.info(Event.BACKUP_COMPLETED, type + " backup of node " + node + " done in " + seconds + " s"
                    + (newest == null ? "" : " (" + newest.label() + ", " + newest.repositoryBytes() / (1024 * 1024)
                            + " MB in the bucket)"), "node", node, "type", type, "seconds", seconds,
                    "label", newest == null ? null : newest.label());
            return;
        }
        int failures = before.failures() + 1;
        Instant retryAfter = clock.instant().plus(RETRY.delay(failures));
        metrics.backupFailed();
        seen.put(node, before.failed(error, clock.instant(), failures, retryAfter));
        if (Throttle.onDoubling(failures)) {
            log.warn(Event.BACKUP_FAILED, type + " backup of node " + node + " failed (" + failures
                    + (failures == 1 ? " time" : " times in a row") + "): " + error + "; tried again after "
                    + retryAfter.truncatedTo(ChronoUnit.SECONDS), "node", node, "type", type, "failures", failures,
                    "error", error);
        }
    }

    /**
     * citus_create_restore_point on the coordinator (Citus writes it on every node while distributed commits wait, so
     * all nodes stop at the same transaction); then every node with a bucket closes its current WAL segment, which
     * holds the point, and the point is pending until each has archived it ({@link #confirmPoint}).
     */
    private void createRestorePoint(List<HostPort> nodes) {
        Instant at = clock.instant().truncatedTo(ChronoUnit.SECONDS);
        String name = POINT_NAME.format(at);
        try (Connection connection = open(config.coordinator());
                PreparedStatement statement = connection.prepareStatement("select citus_create_restore_point(?), "
                        + PointArchive.TIMELINE)) {
            statement.setString(1, name);
            try (ResultSet rs = statement.executeQuery()) {
                rs.next();
                pointTimeline = rs.getString(2);
            }
        } catch (SQLException e) {
            metrics.restorePointFailed();
            log.warn(Event.RESTORE_POINT_FAILED, "citus_create_restore_point('" + name + "') failed: "
                    + SqlErrors.message(e), "point", name, "error", SqlErrors.message(e));
            return;
        } finally {
            current = null;
        }
        Map<HostPort, String> segments = new LinkedHashMap<>();
        for (HostPort node : nodes) {
            NodeBackups n = seen.get(node);
            if (n != null && n.configured() && n.newest() != null) {
                segments.put(node, null); // a node without a backup cannot be restored to any point yet
            }
        }
        pending = new PendingPoint(name, at, segments, Map.of(), false);
        pointAbandoned = false;
        confirmPoint(nodes, POINT_ARCHIVE_WAIT);
    }

    /**
     * Closes the pending point's segment on every node that has not yet, and waits up to {@code wait} for every node
     * to have archived it. Once all have, the point is noted in every stanza and announced; until then it is said
     * once, naming the nodes that hold it back. A node that left the cluster's primaries meanwhile (a high-availability
     * group failed over, a worker was lost) never confirmed the point, and its replacement may not hold it: the point
     * is abandoned, never announced, and the next one is made without waiting for the interval.
     */
    private void confirmPoint(List<HostPort> nodes, Duration wait) {
        long deadline = System.nanoTime() + wait.toNanos();
        Map<HostPort, String> segments = new LinkedHashMap<>(pending.segments());
        Set<HostPort> gone = new LinkedHashSet<>(segments.keySet());
        gone.removeAll(new HashSet<>(nodes));
        if (!gone.isEmpty()) {
            abandonPoint(gone + " left the cluster's primaries");
            return;
        }
        Map<HostPort, String> waiting = new LinkedHashMap<>();
        while (!stopped) {
            waiting.clear();
            for (Map.Entry<HostPort, String> node : segments.entrySet()) {
                try (Connection connection = open(node.getKey())) {
                    String timeline = PointArchive.timeline(connection);
                    String expected = node.getValue() != null ? node.getValue().substring(0, 8)
                            : node.getKey().equals(config.coordinator()) ? pointTimeline : timeline;
                    if (!timeline.equals(expected)) {
                        // The same name on a new timeline: the coordinator's endpoint now reaches a promoted standby.
                        abandonPoint(node.getKey() + " moved to timeline " + timeline + " (a failover)");
                        return;
                    }
                    if (node.getValue() == null) {
                        node.setValue(PointArchive.closeSegment(connection));
                    }
                    String why = PointArchive.notArchivedBecause(connection, node.getValue());
                    if (why != null) {
                        waiting.put(node.getKey(), why);
                    }
                } catch (SQLException e) {
                    waiting.put(node.getKey(), "unreachable: " + SqlErrors.message(e));
                } finally {
                    current = null;
                }
            }
            if (waiting.isEmpty() || System.nanoTime() - deadline >= 0) {
                break;
            }
            LockSupport.parkNanos(this, Duration.ofMillis(250).toNanos());
        }
        if (stopped) {
            return;
        }
        if (!waiting.isEmpty()) {
            boolean said = pending.said();
            pending = new PendingPoint(pending.name(), pending.at(), Map.copyOf(segments), Map.copyOf(waiting), true);
            publish(List.copyOf(seen.keySet()), clock.instant()); // what a line says is in /status when it is read
            if (!said) {
                log.warn(Event.RESTORE_POINT_PENDING, "restore point " + pending.name() + " is written on every node but"
                        + " not restorable yet: " + describe(waiting) + ". It is announced once its WAL is in every"
                        + " bucket; no newer point is made meanwhile", "point", pending.name(), "nodes",
                        waiting.keySet().toString());
            }
            return;
        }
        PendingPoint restorable = pending;
        pending = null;
        announce(restorable, segments.keySet());
    }

    /** Never announced: {@code why} a node may not hold it. The next round makes a new point. */
    private void abandonPoint(String why) {
        log.warn(Event.RESTORE_POINT_ABANDONED, "restore point " + pending.name() + " is abandoned: " + why + " before"
                + " archiving it, so it may not be restorable there; it is never announced, and a new point is made at"
                + " once", "point", pending.name(), "reason", why);
        pending = null;
        pointAbandoned = true;
        publish(List.copyOf(seen.keySet()), clock.instant());
    }

    /** The point is restorable on every node: noted on each stanza's newest backup, then announced and counted. */
    private void announce(PendingPoint point, Set<HostPort> nodes) {
        List<String> unnoted = new ArrayList<>();
        for (HostPort node : nodes) {
            try (Connection connection = open(node)) {
                NodeBackupCommand command = NodeBackupCommand.of(connection);
                String error = command == null ? "no bucket" : command.recordPoint(point.name(), point.at());
                if (error != null) {
                    unnoted.add(node + " (" + error + ")");
                }
            } catch (SQLException e) {
                unnoted.add(node + " (" + SqlErrors.message(e) + ")");
            } finally {
                current = null;
            }
        }
        lastPoint = point.name();
        lastPointAt = point.at();
        metrics.restorePointCreated();
        publish(List.copyOf(seen.keySet()), clock.instant());
        long seconds = Duration.between(point.at(), clock.instant()).toSeconds();
        if (unnoted.isEmpty()) {
            log.info(Event.RESTORE_POINT_CREATED, "restore point " + point.name() + " is restorable: its WAL is in the"
                    + " bucket of every node (" + seconds + " s after it was made) and it is noted in every stanza",
                    "point", point.name(), "seconds", seconds);
        } else {
            log.warn(Event.RESTORE_POINT_UNNOTED, "restore point " + point.name() + " is restorable, but not noted in the"
                    + " stanza of " + String.join(", ", unnoted) + "; a restore to " + point.name() + " needs"
                    + " BACKUP_RESTORE_SET on those nodes", "point", point.name(), "nodes", String.join(", ", unnoted));
        }
    }

    private static String describe(Map<HostPort, String> waiting) {
        List<String> parts = new ArrayList<>();
        waiting.forEach((node, why) -> parts.add("node " + node + ": " + why));
        return String.join("; ", parts);
    }

    /** Said once per change: a cluster restore needs every node's backups. */
    private void noticeNodesWithoutBucket(List<HostPort> nodes) {
        Set<HostPort> with = new LinkedHashSet<>();
        Set<HostPort> without = new LinkedHashSet<>();
        for (HostPort node : nodes) {
            NodeBackups n = seen.get(node);
            if (n.reachable()) {
                (n.configured() ? with : without).add(node);
            }
        }
        if (with.isEmpty() || without.isEmpty()) {
            withoutBucket = Set.of();
            return;
        }
        if (!without.equals(withoutBucket)) {
            log.warn(Event.BACKUPS_INCOMPLETE, "nodes " + without + " have no bucket while " + with + " do: the cluster"
                    + " cannot be restored as a whole; reference the bucket's variables on every node",
                    "nodes", without.toString());
        }
        withoutBucket = Set.copyOf(without);
    }

    private void publish(List<HostPort> nodes, Instant checkedAt) {
        List<NodeBackups> rows = new ArrayList<>();
        for (HostPort node : nodes) {
            NodeBackups n = seen.get(node);
            if (n == null) {
                continue;
            }
            rows.add(n);
            VolumeUsage disk = n.disk();
            if (disk == null || disk.volumeBytes() <= 0) {
                continue;
            }
            long percentFree = disk.freeBytes() * 100 / disk.volumeBytes();
            if (percentFree < config.backupSchedule().volumeFreeAlertPercent() && volumeLow.add(node)) {
                log.warn(Event.VOLUME_NEARLY_FULL, "node " + node + " has " + percentFree + " % of its volume free ("
                        + disk.freeBytes() / (1024 * 1024) + " MB; pg_wal holds " + disk.walBytes() / (1024 * 1024)
                        + " MB). When it is full the node stops. Fix: see wal-archive-failing for the node, or grow"
                        + " the volume", "node", node, "freeBytes", disk.freeBytes(), "walBytes", disk.walBytes());
            } else if (percentFree >= config.backupSchedule().volumeFreeAlertPercent() + 5 && volumeLow.remove(node)) {
                log.info(Event.VOLUME_SPACE_RECOVERED, "node " + node + " has " + percentFree + " % of its volume free"
                        + " again", "node", node, "freeBytes", disk.freeBytes());
            }
        }
        volumeLow.retainAll(new HashSet<>(nodes));
        BackupView published = new BackupView(checkedAt, lastPoint, lastPointAt, pending, List.copyOf(rows));
        view = published;
        metrics.backups(published);
    }

    private Connection open(HostPort node) throws SQLException {
        Connection connection = connector.openForBackups(node);
        current = connection;
        if (stopped) {
            connection.abort(Runnable::run);
            throw new SQLException("stopping");
        }
        return connection;
    }
}
