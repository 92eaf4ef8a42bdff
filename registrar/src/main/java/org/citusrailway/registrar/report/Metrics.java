package org.citusrailway.registrar.report;

import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import org.citusrailway.registrar.name.HostPort;
import org.citusrailway.registrar.result.ProbeFailure;
import org.citusrailway.registrar.row.ArchiveRow;
import org.citusrailway.registrar.view.BackupView;
import org.citusrailway.registrar.view.Group;
import org.citusrailway.registrar.view.NodeBackups;

/** Counters and gauges, written by the loop, rendered in Prometheus text format for /metrics. */
public final class Metrics {
    private static final double[] BUCKETS = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};

    private final AtomicLong passes = new AtomicLong();
    private final AtomicLong passFailures = new AtomicLong();
    private final AtomicLongArray durationBuckets = new AtomicLongArray(BUCKETS.length);
    private final AtomicLong durationMicros = new AtomicLong();
    private volatile double lastDurationSeconds;
    private final AtomicLong registrations = new AtomicLong();
    private final AtomicLong activations = new AtomicLong();
    private final Map<ProbeFailure, AtomicLong> probeFailures = new EnumMap<>(ProbeFailure.class);
    private volatile int nodesActive;
    private volatile int nodesInactive;
    private volatile int nodesUnreachable;
    private volatile boolean leader;
    private volatile boolean coordinatorUp;
    private final AtomicLong rebalancesStarted = new AtomicLong();
    private final AtomicLong rebalanceFailures = new AtomicLong();
    private volatile boolean rebalanceRunning;
    private volatile Map<String, Long> rebalanceTasks = Map.of();
    private volatile int rebalanceBlockedTables;
    private volatile int workersWithoutShards;
    private volatile int workersReinitialised;
    private final AtomicLong workersRemovedByUser = new AtomicLong();
    /** Lookups by how they ended: found, not-found, timeout, failed. */
    private final AtomicLongArray dnsLookups = new AtomicLongArray(DNS_RESULTS.size());
    private volatile int dnsTimedOutNow;
    private volatile int dnsFailedNow;
    private volatile long dnsQueries;
    private volatile List<ArchiveRow> archiveRows = List.of();
    private volatile List<Group> groups = List.of();
    private final AtomicLong backupsCompleted = new AtomicLong();
    private final AtomicLong backupFailures = new AtomicLong();
    private final AtomicLong restorePointsCreated = new AtomicLong();
    private final AtomicLong restorePointFailures = new AtomicLong();
    private volatile BackupView backups = BackupView.NONE;

    private static final java.util.List<String> DNS_RESULTS = java.util.List.of("found", "not-found", "timeout",
            "failed");

    /** Task states always rendered (at 0 when absent) so dashboards have a stable series. */
    private static final java.util.List<String> TASK_STATES = java.util.List.of("blocked", "runnable", "running", "done",
            "error", "cancelled");

    public Metrics() {
        for (ProbeFailure reason : ProbeFailure.values()) {
            probeFailures.put(reason, new AtomicLong());
        }
    }

    public void passCompleted(long nanos) {
        passes.incrementAndGet();
        double seconds = nanos / 1e9;
        lastDurationSeconds = seconds;
        durationMicros.addAndGet(nanos / 1000);
        for (int i = 0; i < BUCKETS.length; i++) {
            if (seconds <= BUCKETS[i]) {
                durationBuckets.incrementAndGet(i);
            }
        }
    }

    public void passFailed() {
        passFailures.incrementAndGet();
    }

    public void registered() {
        registrations.incrementAndGet();
    }

    public void activated() {
        activations.incrementAndGet();
    }

    public void probeFailed(ProbeFailure reason) {
        probeFailures.get(reason).incrementAndGet();
    }

    public void nodes(int active, int inactive, int unreachable) {
        nodesActive = active;
        nodesInactive = inactive;
        nodesUnreachable = unreachable;
    }

    public void leader(boolean isLeader) {
        leader = isLeader;
    }

    public void coordinatorUp(boolean up) {
        coordinatorUp = up;
    }

    public void rebalanceStarted() {
        rebalancesStarted.incrementAndGet();
    }

    public void rebalanceFailed() {
        rebalanceFailures.incrementAndGet();
    }

    public void rebalance(boolean running, Map<String, Long> tasks, int blockedTables, int withoutShards) {
        rebalanceRunning = running;
        rebalanceTasks = Map.copyOf(tasks);
        rebalanceBlockedTables = blockedTables;
        workersWithoutShards = withoutShards;
    }

    /** The high-availability variant's node groups as last seen. */
    public void groups(List<Group> seen) {
        groups = List.copyOf(seen);
    }

    public void archive(List<ArchiveRow> rows) {
        archiveRows = List.copyOf(rows);
    }

    public void backupCompleted() {
        backupsCompleted.incrementAndGet();
    }

    public void backupFailed() {
        backupFailures.incrementAndGet();
    }

    public void restorePointCreated() {
        restorePointsCreated.incrementAndGet();
    }

    public void restorePointFailed() {
        restorePointFailures.incrementAndGet();
    }

    public void backups(BackupView view) {
        backups = view;
    }

    public void workersReinitialised(int count) {
        workersReinitialised = count;
    }

    public void workerRemovedByUser() {
        workersRemovedByUser.incrementAndGet();
    }

    /** One pass's lookups, by how they ended, and the DNS queries sent so far (tries and retries). */
    public void dnsPass(int found, int notFound, int timedOut, int failed, long queriesSent) {
        dnsLookups.addAndGet(0, found);
        dnsLookups.addAndGet(1, notFound);
        dnsLookups.addAndGet(2, timedOut);
        dnsLookups.addAndGet(3, failed);
        dnsTimedOutNow = timedOut;
        dnsFailedNow = failed;
        dnsQueries = queriesSent;
    }

    public long passes() {
        return passes.get();
    }

    public String render() {
        StringBuilder out = new StringBuilder(2048);
        long count = passes.get();
        counter(out, "citus_registrar_passes_total", "Completed reconcile passes.", count);
        counter(out, "citus_registrar_pass_failures_total", "Passes that ended in an error (retried with backoff).",
                passFailures.get());
        out.append("# HELP citus_registrar_pass_duration_seconds Duration of completed passes.\n")
                .append("# TYPE citus_registrar_pass_duration_seconds histogram\n");
        for (int i = 0; i < BUCKETS.length; i++) {
            out.append("citus_registrar_pass_duration_seconds_bucket{le=\"").append(BUCKETS[i]).append("\"} ")
                    .append(durationBuckets.get(i)).append('\n');
        }
        out.append("citus_registrar_pass_duration_seconds_bucket{le=\"+Inf\"} ").append(count).append('\n')
                .append("citus_registrar_pass_duration_seconds_sum ").append(durationMicros.get() / 1e6).append('\n')
                .append("citus_registrar_pass_duration_seconds_count ").append(count).append('\n');
        gauge(out, "citus_registrar_last_pass_duration_seconds", "Duration of the last completed pass.",
                Double.toString(lastDurationSeconds));
        counter(out, "citus_registrar_registrations_total", "Workers added with citus_add_node.", registrations.get());
        counter(out, "citus_registrar_activations_total", "Workers re-activated with citus_activate_node.",
                activations.get());
        out.append("# HELP citus_registrar_probe_failures_total Failed worker probes by reason.\n")
                .append("# TYPE citus_registrar_probe_failures_total counter\n");
        probeFailures.forEach((reason, n) -> out.append("citus_registrar_probe_failures_total{reason=\"")
                .append(reason.id()).append("\"} ").append(n.get()).append('\n'));
        out.append("# HELP citus_registrar_nodes Registered workers by state.\n")
                .append("# TYPE citus_registrar_nodes gauge\n")
                .append("citus_registrar_nodes{state=\"active\"} ").append(nodesActive).append('\n')
                .append("citus_registrar_nodes{state=\"inactive\"} ").append(nodesInactive).append('\n')
                .append("citus_registrar_nodes{state=\"unreachable\"} ").append(nodesUnreachable).append('\n');
        gauge(out, "citus_registrar_leader", "1 while this registrar holds the advisory lock and acts.",
                leader ? "1" : "0");
        gauge(out, "citus_registrar_coordinator_up", "1 while the coordinator session is open.",
                coordinatorUp ? "1" : "0");
        gauge(out, "citus_registrar_rebalance_running", "1 while a rebalance job is scheduled or running.",
                rebalanceRunning ? "1" : "0");
        out.append("# HELP citus_registrar_rebalance_tasks Tasks of the current or last rebalance job by state.\n")
                .append("# TYPE citus_registrar_rebalance_tasks gauge\n");
        Map<String, Long> tasks = new java.util.TreeMap<>(rebalanceTasks);
        for (String state : TASK_STATES) {
            tasks.putIfAbsent(state, 0L);
        }
        tasks.forEach((state, n) -> out.append("citus_registrar_rebalance_tasks{state=\"").append(state).append("\"} ")
                .append(n).append('\n'));
        counter(out, "citus_registrar_rebalances_started_total", "Rebalance jobs this registrar started.",
                rebalancesStarted.get());
        counter(out, "citus_registrar_rebalance_failures_total",
                "Rebalance jobs that failed or were cancelled, and starts Citus refused.", rebalanceFailures.get());
        gauge(out, "citus_registrar_rebalance_blocked_tables",
                "Distributed tables without primary key or replica identity (they block an online rebalance).",
                Integer.toString(rebalanceBlockedTables));
        gauge(out, "citus_registrar_workers_without_shards",
                "Active workers that hold no distributed shards while distributed tables exist.",
                Integer.toString(workersWithoutShards));
        gauge(out, "citus_registrar_workers_reinitialised",
                "Registered workers whose Citus server_id changed (data directory wiped); never activated.",
                Integer.toString(workersReinitialised));
        counter(out, "citus_registrar_workers_removed_by_user_total",
                "Known workers removed from pg_dist_node by hand while still resolving (recorded as retired).",
                workersRemovedByUser.get());
        out.append("# HELP citus_registrar_dns_lookups_total Name lookups by result (timeout: no answer after every"
                + " try within DNS_TIMEOUT; failed: the server answered with a failure).\n")
                .append("# TYPE citus_registrar_dns_lookups_total counter\n");
        for (int i = 0; i < DNS_RESULTS.size(); i++) {
            out.append("citus_registrar_dns_lookups_total{result=\"").append(DNS_RESULTS.get(i)).append("\"} ")
                    .append(dnsLookups.get(i)).append('\n');
        }
        out.append("# HELP citus_registrar_dns_names_unanswered Names of the last pass without an answer.\n")
                .append("# TYPE citus_registrar_dns_names_unanswered gauge\n")
                .append("citus_registrar_dns_names_unanswered{result=\"timeout\"} ").append(dnsTimedOutNow).append('\n')
                .append("citus_registrar_dns_names_unanswered{result=\"failed\"} ").append(dnsFailedNow).append('\n');
        counter(out, "citus_registrar_dns_queries_total", "DNS queries sent (A and AAAA, first tries and retries).",
                dnsQueries);
        List<ArchiveRow> archives = archiveRows.stream().filter(ArchiveRow::answered).toList();
        perNode(out, "citus_registrar_wal_archive_failing",
                "1 while the node's latest WAL archive attempt failed (its WAL piles up in pg_wal).", archives,
                ArchiveRow::node, a -> a.failing() ? 1 : 0);
        perNode(out, "citus_registrar_wal_ready_segments", "WAL segments the node has not archived yet.", archives,
                ArchiveRow::node, ArchiveRow::readySegments);
        perNode(out, "citus_registrar_wal_bytes", "Size of the node's pg_wal directory.", archives,
                ArchiveRow::node, ArchiveRow::walBytes);
        List<ArchiveRow> measuredLag = archives.stream().filter(a -> a.notArchivedBytes() != null).toList();
        perNode(out, "citus_registrar_wal_not_archived_bytes",
                "WAL the node has written but not yet archived to its bucket (lost with the volume).", measuredLag,
                ArchiveRow::node, ArchiveRow::notArchivedBytes);
        perNode(out, "citus_registrar_wal_not_archived_seconds",
                "Seconds since the node last archived a segment while it holds WAL not yet archived; 0 when none.",
                measuredLag, ArchiveRow::node, ArchiveRow::notArchivedSeconds);
        List<Group> seenGroups = groups;
        perGroup(out, "citus_registrar_group_streaming_standbys",
                "Standbys streaming from the group's primary (high availability); 0: commits are not protected.",
                seenGroups, Group::streamingStandbys);
        perGroup(out, "citus_registrar_group_replication_lag_bytes",
                "WAL the group's standbys have not yet replayed, the largest of them (high availability).", seenGroups,
                Group::maxLagBytes);
        perGroup(out, "citus_registrar_group_timeline",
                "The group primary's timeline: one more after each failover or switchover (high availability).",
                seenGroups, g -> g.members().stream().filter(m -> m.name().equals(g.primary()))
                        .mapToLong(Group.Member::timeline).findFirst().orElse(0));
        BackupView backupView = backups;
        counter(out, "citus_registrar_backups_total", "Scheduled backups that succeeded.", backupsCompleted.get());
        counter(out, "citus_registrar_backup_failures_total", "Scheduled backups that failed.", backupFailures.get());
        counter(out, "citus_registrar_restore_points_total", "Cluster-wide restore points made restorable (WAL in every bucket).",
                restorePointsCreated.get());
        counter(out, "citus_registrar_restore_point_failures_total", "citus_create_restore_point calls that failed.",
                restorePointFailures.get());
        gauge(out, "citus_registrar_restore_point_last_timestamp_seconds",
                "When the newest restore point noted in the bucket (or created here) was made; 0 before the first.",
                Long.toString(backupView.lastRestorePointAt() == null ? 0
                        : backupView.lastRestorePointAt().getEpochSecond()));
        gauge(out, "citus_registrar_restore_point_pending",
                "1 while a restore point is written on every node but its WAL is not yet in every bucket.",
                backupView.pendingPoint() == null ? "0" : "1");
        List<NodeBackups> nodes = backupView.nodes().stream()
                .filter(NodeBackups::configured).toList();
        perNode(out, "citus_registrar_backup_last_timestamp_seconds",
                "When the node's newest backup finished; 0 before the first.", nodes,
                NodeBackups::node, n -> n.newest() == null ? 0 : n.newest().finishedAt().getEpochSecond());
        perNode(out, "citus_registrar_backup_last_full_timestamp_seconds",
                "When the node's newest full backup finished; 0 before the first.", nodes,
                NodeBackups::node, n -> n.newestFullAt() == null ? 0 : n.newestFullAt().getEpochSecond());
        perNode(out, "citus_registrar_backup_failing", "1 while the node's latest scheduled backup failed.", nodes,
                NodeBackups::node, n -> n.failures() > 0 ? 1 : 0);
        List<NodeBackups> measured = backupView.nodes().stream().filter(n -> n.disk() != null).toList();
        perNode(out, "citus_registrar_volume_bytes", "Size of the node's volume (the file system holding PGDATA).",
                measured, NodeBackups::node, n -> n.disk().volumeBytes());
        perNode(out, "citus_registrar_volume_free_bytes", "Free bytes on the node's volume.", measured,
                NodeBackups::node, n -> n.disk().freeBytes());
        return out.toString();
    }

    /** One gauge per node group (label group="<Citus group id>"). */
    private static void perGroup(StringBuilder out, String name, String help, List<Group> rows,
            java.util.function.ToLongFunction<Group> value) {
        out.append("# HELP ").append(name).append(' ').append(help).append('\n')
                .append("# TYPE ").append(name).append(" gauge\n");
        for (Group row : rows) {
            out.append(name).append("{group=\"").append(row.groupId()).append("\"} ").append(value.applyAsLong(row))
                    .append('\n');
        }
    }

    /** One gauge per node (label node="host:port"). */
    private static <T> void perNode(StringBuilder out, String name, String help, List<T> rows,
            java.util.function.Function<T, HostPort> node, java.util.function.ToLongFunction<T> value) {
        out.append("# HELP ").append(name).append(' ').append(help).append('\n')
                .append("# TYPE ").append(name).append(" gauge\n");
        for (T row : rows) {
            out.append(name).append("{node=\"").append(node.apply(row)).append("\"} ").append(value.applyAsLong(row))
                    .append('\n');
        }
    }

    private static void counter(StringBuilder out, String name, String help, long value) {
        out.append("# HELP ").append(name).append(' ').append(help).append('\n')
                .append("# TYPE ").append(name).append(" counter\n")
                .append(name).append(' ').append(value).append('\n');
    }

    private static void gauge(StringBuilder out, String name, String help, String value) {
        out.append("# HELP ").append(name).append(' ').append(help).append('\n')
                .append("# TYPE ").append(name).append(" gauge\n")
                .append(name).append(' ').append(value).append('\n');
    }
}
