package org.citusrailway.registrar;

import java.sql.SQLException;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.citusrailway.registrar.coordinator.CoordinatorSession;
import org.citusrailway.registrar.name.HostPort;
import org.citusrailway.registrar.pg.SqlErrors;
import org.citusrailway.registrar.report.Event;
import org.citusrailway.registrar.report.EventLog;
import org.citusrailway.registrar.report.Metrics;
import org.citusrailway.registrar.row.ArchiveRow;
import org.citusrailway.registrar.view.Status;

/**
 * Watches every node's WAL archiving (to the bucket, node/lib/backup.sh) through the coordinator, every
 * {@value #INTERVAL_SECONDS} s, and every {@value #FAILING_INTERVAL_SECONDS} s while a node fails (PostgreSQL retries
 * a failed segment within a minute; its recovery is said soon after): a node whose archiver keeps failing keeps all its WAL in pg_wal, which fills the
 * volume if nobody notices. Said once when a node starts failing ({@code wal-archive-failing}, with what it keeps)
 * and once when it recovers; every node's state in /status and /metrics. Touched only by the loop thread.
 */
public final class ArchiveWatch {
    static final int INTERVAL_SECONDS = 30;
    static final int FAILING_INTERVAL_SECONDS = 10;

    private final EventLog log;
    private final Metrics metrics;
    private final Set<HostPort> failing = new HashSet<>();
    private long nextCheck = Long.MIN_VALUE;
    private Status.Archive last = Status.Archive.NONE;

    public ArchiveWatch(EventLog log, Metrics metrics) {
        this.log = log;
        this.metrics = metrics;
    }

    public Status.Archive pass(CoordinatorSession session, long now, Instant at) {
        if (nextCheck != Long.MIN_VALUE && now - nextCheck < 0) {
            return last;
        }
        nextCheck = now + TimeUnit.SECONDS.toNanos(INTERVAL_SECONDS);
        List<ArchiveRow> rows;
        try {
            rows = session.archiveStatus();
        } catch (SQLException e) {
            last = new Status.Archive(at, last.nodes(), SqlErrors.message(e));
            return last;
        }
        for (ArchiveRow row : rows) {
            if (row.failing() && failing.add(row.node())) {
                log.warn(Event.WAL_ARCHIVE_FAILING, "node " + row.node() + " cannot archive its WAL (last failed: "
                        + row.lastFailedWal() + " at " + row.lastFailedAt() + "); it keeps every segment until archiving"
                        + " succeeds: " + row.readySegments() + " waiting, pg_wal " + row.walBytes() / (1024 * 1024)
                        + " MB. Fix: see the node's log (archive command failed) and its backup-bucket-* lines",
                        "node", row.node(), "lastFailedWal", row.lastFailedWal(), "readySegments", row.readySegments(),
                        "walBytes", row.walBytes());
            } else if (row.answered() && !row.failing() && failing.remove(row.node())) {
                log.info(Event.WAL_ARCHIVE_RECOVERED, "node " + row.node() + " archives its WAL again ("
                        + row.readySegments() + " segments waiting)", "node", row.node(),
                        "readySegments", row.readySegments());
            }
        }
        failing.removeIf(node -> rows.stream().noneMatch(row -> row.node().equals(node)));
        if (!failing.isEmpty()) {
            nextCheck = now + TimeUnit.SECONDS.toNanos(FAILING_INTERVAL_SECONDS);
        }
        metrics.archive(rows);
        last = new Status.Archive(at, rows, null);
        return last;
    }
}
