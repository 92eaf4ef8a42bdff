package org.citusrailway.registrar;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.citusrailway.registrar.backup.NodeBackupCommand;
import org.citusrailway.registrar.name.HostPort;
import org.citusrailway.registrar.report.Event;
import org.citusrailway.registrar.view.BackupView;
import org.citusrailway.registrar.view.NodeBackups;
import org.citusrailway.registrar.view.PendingPoint;
import org.citusrailway.testkit.Await;
import org.citusrailway.testkit.LocalPostgres;
import org.citusrailway.testkit.cluster.LocalCitusCluster;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The leader's backup schedule against real Citus nodes, each with real pgBackRest (a repository in a local
 * directory: the bucket's transport is the node tests' concern) and the node's own backup command
 * (node/backup-command.sh), set up as the node scripts set it up: archive_command and citus_node.backup_command.
 */
class BackupSchedulerTest {
    private static final Path BACKUP_COMMAND = Path.of("..", "node", "backup-command.sh").toAbsolutePath().normalize();
    private static final Duration SOON = Duration.ofSeconds(90);

    @TempDir
    Path dir;

    @BeforeAll
    static void needsPgbackrest() throws Exception {
        Process version = new ProcessBuilder("sh", "-c", "pgbackrest version 2>&1 || true").start();
        String out = new String(version.getInputStream().readAllBytes());
        version.waitFor(10, TimeUnit.SECONDS);
        assumeTrue(out.matches("(?s)pgBackRest 2\\.(5[2-9]|[6-9][0-9]).*"),
                "needs pgBackRest 2.52 or newer on PATH (PostgreSQL 17 support); found: " + out.strip());
        assumeTrue(Files.isExecutable(BACKUP_COMMAND), BACKUP_COMMAND + " is missing");
    }

    @Test
    void everyNodeIsBackedUpThenARestorePointIsMadeAndNotedInEveryStanza() throws Exception {
        Path repository = shared(dir.resolve("repository"));
        try (LocalCitusCluster cluster = Clusters.scale(b -> b.setting("archive_mode", "on"));
                LogCapture logs = new LogCapture()) {
            LocalPostgres server1 = cluster.server(Clusters.W1);
            LocalPostgres server2 = cluster.server(Clusters.W2);
            HostPort w1 = Clusters.hostPort(cluster, Clusters.W1);
            HostPort w2 = Clusters.hostPort(cluster, Clusters.W2);
            List<LocalPostgres> nodes = List.of(cluster.coordinator(), server1, server2);
            for (LocalPostgres node : nodes) {
                giveBucket(node, repository, true);
            }
            Map<String, String> env = Clusters.scaleEnvironment(cluster);
            env.put("BACKUP_CHECK_INTERVAL", "2s");
            env.put("BACKUP_FULL_INTERVAL", "1h");
            env.put("BACKUP_DIFF_INTERVAL", "0");
            env.put("RESTORE_POINT_INTERVAL", "20s");
            try (RunningRegistrar registrar = new RunningRegistrar(env)) {
                Await.until(SOON, "a restore point after the first backups", () -> logs.count(
                        Event.RESTORE_POINT_CREATED) >= 1);
                assertEquals(3, logs.count(Event.BACKUP_COMPLETED), logs.text());
                assertEquals(0, logs.count(Event.BACKUP_FAILED), logs.text());
                BackupView view = registrar.status().backups();
                assertEquals(3, view.nodes().size(), view.toString());
                for (NodeBackups node : view.nodes()) {
                    assertTrue(node.configured() && node.newest() != null, node.toString());
                    assertEquals("full", node.newest().type(), node.toString());
                    assertNotNull(node.newestFullAt(), node.toString());
                    assertTrue(node.disk() != null && node.disk().volumeBytes() > 0, node.toString());
                }
                String point = view.lastRestorePoint();
                assertTrue(point != null && point.matches("citus-\\d{8}T\\d{6}Z"), view.toString());

                // The point is in every node's WAL, and the ledger on every stanza's newest backup names it.
                for (LocalPostgres node : nodes) {
                    String info = backupCommand(node, "info");
                    assertTrue(info.contains("\"" + point + "\":\""), "stanza of node " + node.port() + ": " + info);
                }
                String json = registrar.status().toJson();
                assertTrue(json.contains("\"lastRestorePoint\":\"" + point + "\""), json);
                assertTrue(json.contains("\"type\":\"full\""), json);
                String metrics = registrar.registrar.metricsText();
                assertTrue(metrics.contains("citus_registrar_backups_total 3"), metrics);
                assertTrue(metrics.contains("citus_registrar_backup_last_full_timestamp_seconds{node=\"" + w1
                        + "\"} "), metrics);
                assertTrue(metrics.contains("citus_registrar_volume_free_bytes{node=\"" + w2 + "\"} "),
                        metrics);

                // No backup is due for an hour, but restore points keep coming on their own schedule.
                Await.until(SOON, "a scheduled restore point", () -> logs.count(Event.RESTORE_POINT_CREATED) >= 2);
                assertEquals(3, logs.count(Event.BACKUP_COMPLETED), "no more backups: " + logs.text());
                assertTrue(!point.equals(registrar.status().backups().lastRestorePoint()), logs.text());
            }
            // A new leader reads the schedule from the bucket: nothing is due, so it takes no backup.
            long before = logs.count(Event.BACKUP_COMPLETED);
            try (RunningRegistrar again = new RunningRegistrar(env)) {
                Await.until(SOON, "the new leader's first look at the backups", () -> again.status().backups()
                        .checkedAt() != null);
                assertEquals(before, logs.count(Event.BACKUP_COMPLETED), logs.text());
                assertNotNull(again.status().backups().lastRestorePoint(), again.status().toJson());
            }
        }
    }

    @Test
    void aNodeWhoseBackupFailsIsRetriedLaterAndOneWithoutItsStanzaYetIsWaitedFor() throws Exception {
        Path repository = shared(dir.resolve("repository"));
        try (LocalCitusCluster cluster = Clusters.scale(b -> b.setting("archive_mode", "on"));
                LogCapture logs = new LogCapture()) {
            LocalPostgres server1 = cluster.server(Clusters.W1);
            LocalPostgres server2 = cluster.server(Clusters.W2);
            HostPort w1 = Clusters.hostPort(cluster, Clusters.W1);
            HostPort w2 = Clusters.hostPort(cluster, Clusters.W2);
            giveBucket(cluster.coordinator(), repository, true);
            // worker1's stanza exists, but pgBackRest cannot reach its server: every backup fails.
            Path broken = giveBucket(server1, repository, true);
            Files.writeString(broken, Files.readString(broken).replace("pg1-port=" + server1.port(),
                    "pg1-port=1"));
            // worker2 has not created its stanza yet (a node does so in the background after it boots).
            giveBucket(server2, repository, false);
            Map<String, String> env = Clusters.scaleEnvironment(cluster);
            env.put("BACKUP_CHECK_INTERVAL", "2s");
            env.put("RESTORE_POINT_INTERVAL", "0");
            try (RunningRegistrar registrar = new RunningRegistrar(env)) {
                Await.until(SOON, "backup-failed for worker1", () -> logs.count(Event.BACKUP_FAILED) == 1);
                Await.until(SOON, "the restore point after the round", () -> logs.count(Event.RESTORE_POINT_CREATED) == 1);
                assertEquals(0, logs.count(Event.RESTORE_POINT_UNNOTED), "nodes without a backup are not asked to note"
                        + " it: " + logs.text());
                assertEquals(1, logs.count(Event.BACKUP_COMPLETED), logs.text());
                assertTrue(logs.text().contains("backup of node " + w1 + " failed (1 time)"), logs.text());
                NodeBackups worker1 = node(registrar, w1);
                assertEquals(1, worker1.failures(), worker1.toString());
                assertTrue(worker1.lastError() != null && worker1.lastError().contains("ERROR: ["), worker1.toString());
                assertNotNull(worker1.retryAfter(), worker1.toString());
                assertNull(worker1.newest(), worker1.toString());
                assertTrue(registrar.registrar.metricsText().contains(
                        "citus_registrar_backup_failing{node=\"" + w1 + "\"} 1"), registrar.registrar.metricsText());
                NodeBackups worker2 = node(registrar, w2);
                assertTrue(worker2.lastError().startsWith("stanza not created yet"), worker2.toString());
                assertEquals(0, worker2.failures(), "waited for, not failed: " + worker2);

                // worker2's stanza appears: it is backed up on the next round. worker1 waits for its retry time.
                createStanza(server2);
                Await.until(SOON, "worker2 backed up", () -> logs.count(Event.BACKUP_COMPLETED) == 2);
                assertTrue(logs.text().contains("full backup of node " + w2 + " done"), logs.text());
                assertEquals(1, logs.count(Event.BACKUP_FAILED), "retried after five minutes, not every round");
            }
        }
    }

    /**
     * A point is restorable only once the WAL holding it is archived on every node: while worker2 cannot archive, the
     * point is pending (said once, naming worker2), not counted, not the newest, noted in no stanza, and no newer point
     * is made; once worker2 archives again it is announced under its own name.
     */
    @Test
    void aRestorePointIsAnnouncedOnlyOnceItsWalIsArchivedOnEveryNode() throws Exception {
        Path repository = shared(dir.resolve("repository"));
        try (LocalCitusCluster cluster = Clusters.scale(b -> b.setting("archive_mode", "on"));
                LogCapture logs = new LogCapture()) {
            LocalPostgres server2 = cluster.server(Clusters.W2);
            HostPort w2 = Clusters.hostPort(cluster, Clusters.W2);
            List<LocalPostgres> nodes = List.of(cluster.coordinator(), cluster.server(Clusters.W1), server2);
            try (RunningRegistrar registrar = new RunningRegistrar(everyNodeWithABucket(cluster, repository, "5s"))) {
                Await.until(SOON, "the first point", () -> logs.count(Event.RESTORE_POINT_CREATED) == 1);
                String first = registrar.status().backups().lastRestorePoint();
                String archiveCommand = server2.sql().value("show archive_command");
                server2.execute("postgres", "alter system set archive_command = 'false'", "select pg_reload_conf()");

                Await.until(Duration.ofMinutes(2), "restore-point-pending for worker2",
                        () -> logs.count(Event.RESTORE_POINT_PENDING) == 1);
                BackupView view = registrar.status().backups();
                PendingPoint pending = view.pendingPoint();
                assertNotNull(pending, view.toString());
                assertEquals(java.util.Set.of(w2), pending.waiting().keySet(), pending.toString());
                assertTrue(pending.waiting().get(w2).contains("failed"), pending.toString());
                assertTrue(logs.text().contains("node " + w2 + ": segment "), logs.text());
                assertEquals(first, view.lastRestorePoint(), "the pending point is not the newest: " + view);
                assertEquals(1, logs.count(Event.RESTORE_POINT_CREATED), logs.text());
                assertTrue(registrar.registrar.metricsText().contains("citus_registrar_restore_point_pending 1"));
                assertTrue(registrar.registrar.metricsText().contains("citus_registrar_restore_points_total 1"));
                for (LocalPostgres node : nodes) {
                    assertFalse(backupCommand(node, "info").contains("\"" + pending.name() + "\":\""),
                            "not noted while pending, node " + node.port());
                }
                Thread.sleep(6_000); // over RESTORE_POINT_INTERVAL: still no newer point, and said once
                assertEquals(pending.name(), registrar.status().backups().pendingPoint().name());
                assertEquals(1, logs.count(Event.RESTORE_POINT_PENDING), logs.text());

                server2.execute("postgres", "alter system set archive_command = '" + archiveCommand.replace("'", "''")
                        + "'", "select pg_reload_conf()");
                Await.until(Duration.ofMinutes(2), "the pending point announced", () -> logs.text().contains(
                        "restore point " + pending.name() + " is restorable"));
                assertEquals(2, logs.count(Event.RESTORE_POINT_CREATED), "no other point before it: " + logs.text());
                for (LocalPostgres node : nodes) {
                    assertTrue(backupCommand(node, "info").contains("\"" + pending.name() + "\":\""),
                            "noted once restorable, node " + node.port());
                }
            }
        }
    }

    /**
     * A bucket that cannot be read is an error, never "no backups": the node's last backup stays shown with the
     * error, no backup is started and no point made; once it can be read, points resume and nothing was re-taken.
     */
    @Test
    void anUnreadableBucketIsAnErrorAndStartsNoBackup() throws Exception {
        Path repository = shared(dir.resolve("repository"));
        try (LocalCitusCluster cluster = Clusters.scale(b -> b.setting("archive_mode", "on"));
                LogCapture logs = new LogCapture()) {
            LocalPostgres server1 = cluster.server(Clusters.W1);
            HostPort w1 = Clusters.hostPort(cluster, Clusters.W1);
            try (RunningRegistrar registrar = new RunningRegistrar(everyNodeWithABucket(cluster, repository, "3s"))) {
                Await.until(SOON, "the first point", () -> logs.count(Event.RESTORE_POINT_CREATED) == 1);
                NodeBackups before = node(registrar, w1);
                // worker1's bucket answers nothing: its configuration points pgBackRest at a repository it cannot read.
                Path config = dir.resolve("node-" + server1.port() + ".conf");
                String good = Files.readString(config);
                Path elsewhere = Files.createDirectories(dir.resolve("unreadable"));
                Files.setPosixFilePermissions(elsewhere, PosixFilePermissions.fromString("---------"));
                Files.writeString(config, good.replace("repo1-path=" + repository, "repo1-path=" + elsewhere + "/repo"));
                long started = logs.count(Event.BACKUP_STARTED);
                long points = logs.count(Event.RESTORE_POINT_CREATED);

                Await.until(SOON, "worker1's bucket error in /status", () -> !node(registrar, w1).bucketReadable());
                Thread.sleep(6_000);
                NodeBackups during = node(registrar, w1);
                assertNotNull(during.lastError(), during.toString());
                assertEquals(before.newest(), during.newest(), "the last backup stays shown: " + during);
                assertEquals(before.newestFullAt(), during.newestFullAt(), during.toString());
                assertEquals(started, logs.count(Event.BACKUP_STARTED), "no backup because a read failed: "
                        + logs.text());
                assertEquals(points, logs.count(Event.RESTORE_POINT_CREATED), "no point while a bucket is unreadable");
                assertTrue(registrar.status().toJson().contains("\"bucketReadable\":false"));

                Files.writeString(config, good);
                Await.until(SOON, "points resume", () -> logs.count(Event.RESTORE_POINT_CREATED) > points);
                assertEquals(started, logs.count(Event.BACKUP_STARTED), logs.text());
                assertTrue(node(registrar, w1).bucketReadable());
            }
        }
    }

    /** A bucket (and its stanza) for all three nodes; the registrar's environment: quick rounds, points every so often. */
    private Map<String, String> everyNodeWithABucket(LocalCitusCluster cluster, Path repository, String pointInterval)
            throws Exception {
        for (LocalPostgres node : List.of(cluster.coordinator(), cluster.server(Clusters.W1),
                cluster.server(Clusters.W2))) {
            giveBucket(node, repository, true);
        }
        Map<String, String> env = Clusters.scaleEnvironment(cluster);
        env.put("BACKUP_CHECK_INTERVAL", "1s");
        env.put("BACKUP_DIFF_INTERVAL", "0");
        env.put("RESTORE_POINT_INTERVAL", pointInterval);
        return env;
    }

    private static NodeBackups node(RunningRegistrar registrar, HostPort node) {
        return registrar.status().backups().nodes().stream().filter(n -> n.node().equals(node)).findFirst()
                .orElseThrow();
    }

    /** Also: a volume with less free space than VOLUME_FREE_ALERT_PERCENT is reported once per node. */
    @Test
    void aClusterWhereOnlySomeNodesHaveABucketIsReportedOnce() throws Exception {
        Path repository = shared(dir.resolve("repository"));
        var store = Files.getFileStore(dir);
        long percentFree = store.getUsableSpace() * 100 / store.getTotalSpace();
        assumeTrue(percentFree < 89, "the test volume is " + percentFree + " % free: no alert threshold above it");
        try (LocalCitusCluster cluster = Clusters.scale(b -> b.setting("archive_mode", "on"));
                LogCapture logs = new LogCapture()) {
            LocalPostgres server1 = cluster.server(Clusters.W1);
            HostPort w1 = Clusters.hostPort(cluster, Clusters.W1);
            HostPort w2 = Clusters.hostPort(cluster, Clusters.W2);
            giveBucket(cluster.coordinator(), repository, true);
            giveBucket(server1, repository, true);
            Map<String, String> env = Clusters.scaleEnvironment(cluster);
            env.put("BACKUP_CHECK_INTERVAL", "1s");
            env.put("VOLUME_FREE_ALERT_PERCENT", Long.toString(percentFree + 2));
            try (RunningRegistrar registrar = new RunningRegistrar(env)) {
                Await.until(SOON, "volume-nearly-full for the two nodes with a bucket",
                        () -> logs.count(Event.VOLUME_NEARLY_FULL) == 2);
                assertTrue(logs.text().contains("node " + w1 + " has "), logs.text());
                Await.until(SOON, "backups-incomplete", () -> logs.count(Event.BACKUPS_INCOMPLETE) == 1);
                assertTrue(logs.text().contains("nodes [" + w2 + "] have no bucket"), logs.text());
                Await.until(SOON, "the two backups", () -> logs.count(Event.BACKUP_COMPLETED) == 2);
                Thread.sleep(3_000);
                assertEquals(1, logs.count(Event.BACKUPS_INCOMPLETE), "said once: " + logs.text());
                assertEquals(2, logs.count(Event.VOLUME_NEARLY_FULL), "said once per node: " + logs.text());
                NodeBackups worker2 = registrar.status().backups().nodes().stream()
                        .filter(n -> n.node().equals(w2)).findFirst().orElseThrow();
                assertTrue(worker2.reachable() && !worker2.configured(), worker2.toString());
            }
        }
    }

    private static Path shared(Path path) throws IOException {
        Files.createDirectories(path);
        for (Path p = path; p != null && p.startsWith(path.getParent()); p = p.getParent()) {
            Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxrwxrwx")); // the servers' OS user
        }
        return path;
    }

    /**
     * What node/lib/backup.sh does for a node with a bucket: a pgBackRest configuration, archiving into the stanza,
     * the backup command in citus_node.backup_command, and the stanza itself (unless {@code createStanza} is false).
     */
    private Path giveBucket(LocalPostgres node, Path repository, boolean createStanza) throws Exception {
        String stanza = "node-" + node.port();
        Path config = dir.resolve(stanza + ".conf");
        Files.writeString(config, String.join("\n", "[global]", "repo1-path=" + repository, "start-fast=y",
                "compress-type=zst", "io-timeout=5", "log-level-console=warn", "log-level-stderr=off", "log-level-file=off",
                "repo1-retention-full=2", "lock-path=" + dir.resolve("locks-" + stanza), "", "[" + stanza + "]",
                "pg1-path=" + node.dataDir(), "pg1-port=" + node.port(), "pg1-socket-path=" + node.socketDir(), ""));
        Files.setPosixFilePermissions(config, PosixFilePermissions.fromString("rw-r--r--"));
        String pgbackrest = "pgbackrest --config=" + config + " --stanza=" + stanza;
        node.execute("postgres",
                "alter system set archive_command = '" + pgbackrest + " archive-push %p'",
                "select pg_reload_conf()");
        // In the configuration file, as backup.sh writes it: ALTER SYSTEM takes a custom setting only from PostgreSQL 17.
        node.configure(NodeBackupCommand.SETTING, BACKUP_COMMAND + " " + config + " " + stanza + " " + node.dataDir());
        if (createStanza) {
            createStanza(node);
        }
        return config;
    }

    private void createStanza(LocalPostgres node) {
        String stanza = "node-" + node.port();
        node.execute("postgres", "create temporary table out (line text)", "copy out from program 'pgbackrest --config="
                + dir.resolve(stanza + ".conf") + " --stanza=" + stanza + " stanza-create'");
    }

    private static String backupCommand(LocalPostgres node, String action) throws SQLException {
        try (Connection c = node.connect(); Statement s = c.createStatement()) {
            try (ResultSet rs = s.executeQuery("select current_setting('" + NodeBackupCommand.SETTING + "')")) {
                rs.next();
                String command = rs.getString(1);
                s.execute("create temporary table out (line text)");
                s.execute("copy out from program '" + command + " " + action
                        + "' with (format csv, delimiter e'\\x01', quote e'\\x02')");
            }
            List<String> lines = new ArrayList<>();
            try (ResultSet rs = s.executeQuery("select line from out")) {
                while (rs.next()) {
                    lines.add(rs.getString(1));
                }
            }
            return String.join("\n", lines);
        }
    }
}
