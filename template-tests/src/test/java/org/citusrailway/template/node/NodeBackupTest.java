package org.citusrailway.template.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.citusrailway.testkit.Await;
import org.citusrailway.testkit.TestS3Server;
import org.citusrailway.testkit.node.NodeCluster;
import org.citusrailway.testkit.node.NodeUnderTest;
import org.citusrailway.testkit.node.NodeUnderTest.NodeBinaries;
import org.citusrailway.testkit.node.NodeUnderTest.Result;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * WAL archiving to a bucket (node/lib/backup.sh) for real: the node's entrypoint with the bucket's variables, real
 * pgBackRest, and S3Proxy, a real S3 API server on loopback (HTTPS, signature v4, objects in a directory).
 */
class NodeBackupTest {
    private static final NodeBinaries BINARIES = NodeBinaries.best();
    private static final AtomicInteger STANZAS = new AtomicInteger();
    private static Path s3Dir;
    private static TestS3Server s3;

    @BeforeAll
    static void startS3() throws Exception {
        Optional<String> missing = TestS3Server.unavailableReason().or(NodeBackupTest::pgbackrestMissing);
        assumeTrue(missing.isEmpty(), missing.orElse(""));
        s3Dir = Files.createTempDirectory("citus-node-s3-");
        s3 = TestS3Server.start(s3Dir);
        s3.createBucket("backups");
        s3.createBucket("encrypted");
    }

    @AfterAll
    static void stopS3() {
        if (s3 != null) {
            s3.close();
            NodeUnderTest.deleteTree(s3Dir);
        }
    }

    /** pgBackRest backs up PostgreSQL 17 from version 2.52 on. */
    private static Optional<String> pgbackrestMissing() {
        Result version = NodeUnderTest.run(List.of("sh", "-c", "pgbackrest version 2>&1 || true"), Map.of());
        Matcher m = Pattern.compile("pgBackRest (\\d+)\\.(\\d+)").matcher(version.stdout());
        if (!m.find()) {
            return Optional.of("no pgbackrest on PATH (apt-get install pgbackrest)");
        }
        if (Integer.parseInt(m.group(1)) == 2 && Integer.parseInt(m.group(2)) < 52) {
            return Optional.of(m.group() + " cannot back up PostgreSQL 17; 2.52 or newer is needed");
        }
        return Optional.empty();
    }

    private static NodeUnderTest withBucket(NodeUnderTest node, String bucket) {
        return node.env(s3.nodeVariables(bucket, "worker-" + STANZAS.incrementAndGet()));
    }

    private static Result pgbackrest(NodeUnderTest node, String... arguments) {
        List<String> command = new ArrayList<>(List.of("pgbackrest",
                "--config=" + node.configDir.resolve("pgbackrest.conf"), "--stanza=" + node.env("BACKUP_STANZA")));
        command.addAll(List.of(arguments));
        return NodeUnderTest.runAsPostgres(command, Map.of());
    }

    private static void awaitOutput(NodeUnderTest node, String text) {
        try {
            Await.until(Duration.ofSeconds(60), "'" + text + "' in the node's output", () -> node.allOutput().contains(text));
        } catch (AssertionError | RuntimeException e) {
            throw new AssertionError(e.getMessage() + "; output:\n" + node.allOutput(), e);
        }
    }

    @Test
    void aNodeWithTheBucketsVariablesArchivesItsWalAndCanBeBackedUp() throws Exception {
        try (NodeUnderTest node = withBucket(new NodeUnderTest(BINARIES, "worker"), "backups")) {
            node.start();
            String stanza = node.env("BACKUP_STANZA");
            awaitOutput(node, "backups: stanza '" + stanza + "' ready in bucket 'backups'");
            assertEquals("on", node.show("archive_mode"));
            node.execute("create table kept (id int primary key)", "insert into kept select generate_series(1, 1000)");
            archiveCurrentWal(node);

            Result check = pgbackrest(node, "check");
            assertEquals(0, check.exitCode(), check.stdout() + check.stderr());
            Result backup = pgbackrest(node, "backup", "--type=full");
            assertEquals(0, backup.exitCode(), backup.stdout() + backup.stderr());
            Result info = pgbackrest(node, "info", "--output=json");
            assertTrue(info.stdout().contains("\"type\":\"full\""), info.stdout());

            Path config = node.configDir.resolve("pgbackrest.conf");
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(config)));
            assertFalse(node.allOutput().contains(TestS3Server.SECRET_ACCESS_KEY), "the secret must not be printed");
        }
    }

    @Test
    void aNodeWithoutTheBucketsVariablesDoesNotArchive() {
        try (NodeUnderTest node = new NodeUnderTest(BINARIES, "worker")) {
            node.start();
            assertEquals("off", node.show("archive_mode"));
            assertFalse(Files.exists(node.configDir.resolve("pgbackrest.conf")));
        }
    }

    @Test
    void aHalfConfiguredNodeRefusesToStartNamingWhatIsMissing() {
        try (NodeUnderTest node = new NodeUnderTest(BINARIES, "worker").env("BUCKET", "backups")
                .env("ENDPOINT", s3.endpoint())) {
            Result refused = node.runToExit();
            assertEquals(2, refused.exitCode());
            assertEquals(1, refused.stderrLines().size(), refused.stderr());
            assertTrue(refused.stderr().contains("[backup-settings-incomplete]: ACCESS_KEY_ID SECRET_ACCESS_KEY REGION"
                    + " empty while BUCKET ENDPOINT set"), refused.stderr());
            assertFalse(Files.exists(node.pgdata), "nothing was written to the volume");
        }
    }

    @Test
    void anEndpointWithoutTlsIsRefused() {
        try (NodeUnderTest node = withBucket(new NodeUnderTest(BINARIES, "worker"), "backups")
                .env("ENDPOINT", "http://127.0.0.1:" + s3.port())) {
            Result refused = node.runToExit();
            assertEquals(2, refused.exitCode());
            assertEquals(List.of("citus-node: error [backup-endpoint-invalid]: ENDPOINT='http://127.0.0.1:" + s3.port()
                    + "' must be https://<host> or https://<host>:<port> (pgBackRest reaches S3 over TLS only)"),
                    refused.stderrLines());
        }
    }

    @Test
    void aMissingBucketWrongSecretOrUnreachableEndpointIsOneWarningAndTheNodeRunsOn() {
        try (NodeUnderTest missing = withBucket(new NodeUnderTest(BINARIES, "worker"), "no-such-bucket");
                NodeUnderTest wrongSecret = withBucket(new NodeUnderTest(BINARIES, "worker"), "backups")
                        .env("SECRET_ACCESS_KEY", "not-the-secret");
                NodeUnderTest unreachable = withBucket(new NodeUnderTest(BINARIES, "worker"), "backups")
                        .env("ENDPOINT", "https://127.0.0.1:1").env("BACKUP_IO_TIMEOUT", "2")) {
            unreachable.start();
            long asked = System.nanoTime();
            awaitOutput(unreachable, "[backup-bucket-unreachable]");
            assertTrue(unreachable.allOutput().contains("unable to connect"), unreachable.allOutput());
            System.out.println("node-backup: unreachable endpoint reported in "
                    + (System.nanoTime() - asked) / 1_000_000 + " ms");
            assertEquals("1", unreachable.query("select 1"));

            missing.start();
            awaitOutput(missing, "[backup-bucket-unreachable]");
            assertTrue(missing.allOutput().contains("NoSuchBucket"), missing.allOutput());
            assertEquals("1", missing.query("select 1"));

            wrongSecret.start();
            awaitOutput(wrongSecret, "[backup-bucket-unreachable]");
            // The S3 code comes from the failing archive attempts; a closed segment makes one now rather than at
            // archive_timeout (60 s), which a loaded machine pushed past this wait.
            wrongSecret.query("select pg_walfile_name(pg_switch_wal())");
            awaitOutput(wrongSecret, "SignatureDoesNotMatch");
            assertFalse(wrongSecret.allOutput().contains("not-the-secret"), "the secret must not be printed");
            assertEquals("1", wrongSecret.query("select 1"));
        }
    }

    @Test
    void withoutPgbackrestTheNodeSaysSoAndDoesNotArchive() {
        String script = "source \"$0\"/messages.sh && source \"$0\"/backup.sh && PATH=/nonexistent"
                + " && check_backup_settings && echo \"enabled=$BACKUP_ENABLED\"";
        Result result = NodeUnderTest.run(List.of("bash", "-c", script, NodeUnderTest.NODE_DIR.resolve("lib").toString()),
                Map.of("BUCKET", "backups", "ACCESS_KEY_ID", "id", "SECRET_ACCESS_KEY", "secret", "REGION", "auto",
                        "ENDPOINT", "https://storage.example", "BACKUP_STANZA", "worker1"));
        assertEquals(0, result.exitCode(), result.stderr());
        assertEquals("enabled=0", result.stdout().strip());
        assertEquals(List.of("citus-node: warning [backup-unavailable]: the bucket's variables are set but this image has"
                + " no pgbackrest; WAL is not archived"), result.stderrLines());
    }

    /** An outage of the bucket during writes: WAL waits in pg_wal, and every segment reaches the bucket after it. */
    @Test
    void aBucketOutageLosesNoWal() throws Exception {
        try (NodeUnderTest node = withBucket(new NodeUnderTest(BINARIES, "worker"), "backups")
                .env("BACKUP_IO_TIMEOUT", "1")) {
            node.start();
            String stanza = node.env("BACKUP_STANZA");
            awaitOutput(node, "backups: stanza '" + stanza + "' ready");
            node.execute("create table kept (id int primary key)");
            List<String> segments = new ArrayList<>();
            s3.stop();
            try {
                for (int i = 0; i < 4; i++) {
                    node.execute("insert into kept select g from generate_series(" + (i * 1000 + 1) + ", "
                            + (i * 1000 + 1000) + ") g");
                    segments.add(node.query("select pg_walfile_name(pg_switch_wal())"));
                }
                Await.until(Duration.ofSeconds(120), "a failed archive attempt",
                        () -> Integer.parseInt(node.query("select failed_count from pg_stat_archiver")) > 0);
                assertEquals("f", node.query("select coalesce(last_archived_wal >= '" + segments.get(0)
                        + "', false) from pg_stat_archiver"), "nothing archived while the bucket is down");
            } finally {
                s3.start();
            }
            String last = segments.get(segments.size() - 1);
            Await.until(Duration.ofSeconds(180), "archiving caught up to " + last, () -> node.query(
                    "select coalesce(last_archived_wal >= '" + last + "', false) from pg_stat_archiver").equals("t"));
            Result listing = pgbackrest(node, "repo-ls", "--recurse", "archive/" + stanza);
            for (String segment : segments) {
                assertTrue(listing.stdout().contains(segment + "-"), segment + " not in the bucket:\n" + listing.stdout());
            }
            Result check = pgbackrest(node, "check");
            assertEquals(0, check.exitCode(), check.stdout() + check.stderr());
            assertEquals("4000", node.query("select count(*) from kept"));
        }
    }

    /**
     * After a kill -9 and crash recovery, a quiet node's last write still reaches the bucket within archive_timeout
     * (60 s). PostgreSQL 17's checkpointer plans its sleep during recovery without archive_timeout and would wait up
     * to checkpoint_timeout (5 min) without the node's reload once it accepts writes (node/lib/backup.sh).
     */
    @Test
    void afterAKillTheNodesWritesReachTheBucketWithinArchiveTimeout() throws Exception {
        try (NodeUnderTest node = withBucket(new NodeUnderTest(BINARIES, "worker"), "backups")) {
            node.start();
            awaitOutput(node, "backups: stanza '" + node.env("BACKUP_STANZA") + "' ready");
            node.execute("create table kept (id int primary key)", "insert into kept values (1)");
            node.kill();
            node.start();
            node.execute("insert into kept values (2)");
            String segment = node.query("select pg_walfile_name(pg_current_wal_insert_lsn())");
            long written = System.nanoTime();
            Await.until(Duration.ofSeconds(100), segment + " archived by archive_timeout", () -> node.query(
                    "select coalesce(last_archived_wal >= '" + segment + "', false) from pg_stat_archiver").equals("t"));
            System.out.println("node-backup: after a kill -9, the last write was in the bucket "
                    + (System.nanoTime() - written) / 1_000_000_000L + " s later (archive_timeout 60 s)");
        }
    }

    /** Archives the node's current WAL segment and waits until it is in the bucket. */
    private static void archiveCurrentWal(NodeUnderTest node) {
        String segment = node.query("select pg_walfile_name(pg_switch_wal())");
        Await.until(Duration.ofSeconds(60), segment + " archived", () -> node.query(
                "select coalesce(last_archived_wal >= '" + segment + "', false) from pg_stat_archiver").equals("t"));
    }

    private static void backUp(NodeUnderTest node) {
        Result backup = pgbackrest(node, "backup", "--type=full");
        assertEquals(0, backup.exitCode(), backup.stdout() + backup.stderr());
    }

    /** A new, empty volume: everything the node wrote is gone (lost+found stays, as on Railway). */
    private static void destroyVolume(NodeUnderTest node) throws Exception {
        try (var entries = Files.list(node.volume)) {
            for (Path entry : entries.toList()) {
                if (!entry.getFileName().toString().equals("lost+found")) {
                    NodeUnderTest.deleteTree(entry);
                }
            }
        }
    }

    /**
     * Distributed and reference tables, a full backup of every node, writes, a restore point, a mistake; then every
     * volume destroyed and the whole cluster restored to the point: exactly the rows committed before it, on every
     * node, Citus's metadata consistent, and writes accepted. A restart afterwards does not restore again.
     */
    @Test
    void theWholeClusterComesBackToOneRestorePoint() throws Exception {
        try (NodeCluster cluster = clusterWithBucket("backups", null)) {
            NodeUnderTest coordinator = cluster.coordinator;
            coordinator.execute("create table orders (id bigint primary key, note text)",
                    "select create_distributed_table('orders', 'id')",
                    "create table kinds (k int primary key)", "select create_reference_table('kinds')",
                    "insert into orders select g, 'before the backup' from generate_series(1, 1000) g",
                    "insert into kinds select generate_series(1, 10)");
            cluster.nodes().forEach(NodeBackupTest::backUp);
            coordinator.execute("insert into orders select g, 'after the backup' from generate_series(1001, 2000) g",
                    "insert into kinds select generate_series(11, 20)",
                    "select citus_create_restore_point('before-the-mistake')",
                    "insert into orders select g, 'after the point' from generate_series(2001, 3000) g",
                    "delete from kinds");
            cluster.nodes().forEach(NodeBackupTest::archiveCurrentWal);

            for (NodeUnderTest node : cluster.nodes()) {
                node.stop();
                destroyVolume(node);
                node.env("BACKUP_RESTORE_POINT", "before-the-mistake");
            }
            // All at once, as a redeploy of every service does: the coordinator waits for its workers.
            cluster.nodes().forEach(NodeUnderTest::startInBackground);
            for (NodeUnderTest worker : List.of(cluster.worker1, cluster.worker2)) {
                awaitOutput(worker, "restore: stanza '" + worker.env("BACKUP_STANZA")
                        + "' is at restore point 'before-the-mistake' and accepts writes");
            }
            awaitOutput(coordinator, "restore: every worker is at restore point 'before-the-mistake'");

            assertEquals("2000 2000", coordinator.query("select count(*) || ' ' || max(id) from orders"));
            assertEquals("0", coordinator.query("select count(*) from orders where note = 'after the point'"));
            assertEquals("20", coordinator.query("select count(*) from kinds"));
            for (NodeUnderTest worker : List.of(cluster.worker1, cluster.worker2)) {
                assertEquals("20", worker.query("select count(*) from kinds"), "the reference table on a worker");
            }
            assertEquals("t", coordinator.query("select bool_and(result) from citus_check_cluster_node_health()"));
            coordinator.execute("insert into orders values (5000, 'after the restore')");

            coordinator.stop();
            coordinator.start();
            assertEquals("2001", coordinator.query("select count(*) from orders"), "a restart must not restore again");
            assertFalse(coordinator.output().contains("restore: restoring"), coordinator.output());
        }
    }

    /**
     * The registrar's schedule by hand: backups, a restore point noted in every stanza (what the registrar does after
     * backups), another backup, a second point. A restore to a time between the two points resolves to the first one
     * and starts from the backup it was noted on (the newest backup is younger than the point). A worker left out
     * keeps the coordinator closed to TCP until it is restored too, in place on its volume.
     */
    @Test
    void theWholeClusterComesBackToTheNewestPointBeforeATimeAndTheCoordinatorWaitsForEveryWorker() throws Exception {
        try (NodeCluster cluster = clusterWithBucket("encrypted", "a-passphrase-every-node-shares")) {
            NodeUnderTest coordinator = cluster.coordinator;
            coordinator.execute("create table orders (id bigint primary key, batch int)",
                    "select create_distributed_table('orders', 'id')",
                    "insert into orders select g, 1 from generate_series(1, 500) g");
            cluster.nodes().forEach(NodeBackupTest::backUp);
            coordinator.execute("insert into orders select g, 2 from generate_series(501, 1000) g");
            String first = notedRestorePoint(cluster, "citus-20261202T080000Z", "2026-12-02T08:00:00Z");
            assertTrue(backupCommand(coordinator, "info").contains("\"cipher\":\"aes-256-cbc\""),
                    "the repository is encrypted");
            coordinator.execute("insert into orders select g, 3 from generate_series(1001, 1500) g");
            cluster.nodes().forEach(NodeBackupTest::backUp);
            notedRestorePoint(cluster, "citus-20261202T090000Z", "2026-12-02T09:00:00Z");
            coordinator.execute("insert into orders select g, 4 from generate_series(1501, 2000) g");
            cluster.nodes().forEach(NodeBackupTest::archiveCurrentWal);

            for (NodeUnderTest node : cluster.nodes()) {
                node.stop();
                if (node != cluster.worker2) {
                    destroyVolume(node);
                    node.env("BACKUP_RESTORE_TIME", "2026-12-02 08:30:00+00");
                }
            }
            cluster.nodes().forEach(NodeUnderTest::startInBackground);
            awaitOutput(coordinator, "restore: 2026-12-02T08:30:00Z resolves to restore point '" + first + "'");
            awaitOutput(coordinator, "[restore-waiting-for-workers]: worker 127.0.0.1:" + cluster.worker2.serverPort()
                    + " reports restore point 'none'");
            assertTrue(refusesTcp(coordinator), "closed to TCP while a worker holds data from another time");

            // worker2 in place, on its volume: its newer data is moved aside, not deleted.
            cluster.worker2.stop();
            cluster.worker2.env("BACKUP_RESTORE_TIME", "2026-12-02T08:30:00Z").startInBackground();
            awaitOutput(cluster.worker2, "restore point '" + first + "' and accepts writes");
            try (var entries = Files.list(cluster.worker2.volume)) {
                assertEquals(1, entries.filter(p -> p.getFileName().toString().startsWith("pgdata.before-restore-"))
                        .count(), "worker2's data from before the restore, kept aside");
            }
            awaitOutput(coordinator, "restore: every worker is at restore point '" + first + "'");
            Await.until(Duration.ofSeconds(30), "the coordinator open to TCP", () -> !refusesTcp(coordinator));

            assertEquals("1000 2", coordinator.query("select count(*) || ' ' || max(batch) from orders"));
            assertEquals("t", coordinator.query("select bool_and(result) from citus_check_cluster_node_health()"));
            for (NodeUnderTest node : cluster.nodes()) {
                assertEquals(first, node.show("citus_node.restored_to"));
            }
        }
    }

    @Test
    void aRestoreTimeThatIsUnclearOrBeforeEveryPointIsRefusedWithOneLine() throws Exception {
        try (NodeUnderTest node = withBucket(new NodeUnderTest(BINARIES, "worker"), "backups")) {
            node.env("BACKUP_RESTORE_TIME", "yesterday-ish");
            Result invalid = node.runToExit();
            assertEquals(2, invalid.exitCode(), invalid.stderr());
            assertEquals(List.of("citus-node: error [restore-time-invalid]: BACKUP_RESTORE_TIME='yesterday-ish' is not a"
                    + " time (e.g. 2026-12-01T09:30:00Z)"), invalid.stderrLines());

            node.env("BACKUP_RESTORE_POINT", "p1").env("BACKUP_RESTORE_TIME", "2026-12-01T09:30:00Z");
            Result both = node.runToExit();
            assertEquals(2, both.exitCode(), both.stderr());
            assertTrue(both.stderr().contains("[restore-target-ambiguous]"), both.stderr());

            node.withoutEnv("BACKUP_RESTORE_POINT").withoutEnv("BACKUP_RESTORE_TIME").start();
            awaitOutput(node, "backups: stanza '" + node.env("BACKUP_STANZA") + "' ready");
            backUp(node);
            backupCommand(node, "record-point citus-20261202T080000Z 2026-12-02T08:00:00Z");
            node.stop();
            node.env("BACKUP_RESTORE_TIME", "2026-12-02T07:59:59Z");
            Result early = node.runToExit();
            assertEquals(1, early.exitCode(), early.stdout() + early.stderr());
            assertTrue(early.stderr().contains("[restore-time-before-first-point]: stanza '" + node.env("BACKUP_STANZA")
                    + "' has no restore point at or before 2026-12-02T07:59:59Z (the oldest noted:"
                    + " 2026-12-02T08:00:00Z citus-20261202T080000Z)"), early.stderr());
            assertTrue(Files.exists(node.pgdata.resolve("PG_VERSION")), "nothing moved or deleted");
        }
    }

    /** citus_create_restore_point, then noted in every stanza through the node's backup command, as the registrar does. */
    private static String notedRestorePoint(NodeCluster cluster, String name, String time) {
        cluster.coordinator.execute("select citus_create_restore_point('" + name + "')");
        for (NodeUnderTest node : cluster.nodes()) {
            String answer = backupCommand(node, "record-point " + name + " " + time);
            assertTrue(answer.startsWith("{\"ok\":true"), answer);
        }
        return name;
    }

    /** Runs the node's backup command as the registrar does (COPY FROM PROGRAM); its one line of JSON. */
    private static String backupCommand(NodeUnderTest node, String action) {
        String command = node.show("citus_node.backup_command");
        try (var c = node.connect(); var s = c.createStatement()) {
            s.execute("create temporary table answer (line text)");
            s.execute("copy answer from program '" + command + " " + action
                    + "' with (format csv, delimiter e'\\x01', quote e'\\x02')");
            try (var rs = s.executeQuery("select line from answer")) {
                return rs.next() ? rs.getString(1) : "";
            }
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException(action + ": " + e.getMessage(), e);
        }
    }

    private static boolean refusesTcp(NodeUnderTest node) {
        try (var ignored = node.connect()) {
            return false;
        } catch (java.sql.SQLException e) {
            return true;
        }
    }

    /** A coordinator and two workers with the bucket (its repository encrypted with a passphrase), every stanza created. */
    private static NodeCluster clusterWithBucket(String bucket, String passphrase) {
        assumeTrue(BINARIES.citus(), "needs Citus installed: " + org.citusrailway.testkit.PostgresBinaries.citusMissingReason());
        NodeCluster cluster = new NodeCluster(BINARIES, node -> passphrase == null ? withBucket(node, bucket)
                : withBucket(node, bucket).env("BACKUP_ENCRYPTION_PASSPHRASE", passphrase));
        try {
            for (NodeUnderTest node : cluster.nodes()) {
                awaitOutput(node, "backups: stanza '" + node.env("BACKUP_STANZA") + "' ready");
            }
        } catch (RuntimeException | AssertionError e) {
            cluster.close();
            throw e;
        }
        return cluster;
    }

    /** A point that is not in the archive: one clear refusal, the data from before kept, no loop of restores. */
    @Test
    void aRestorePointThatDoesNotExistIsRefusedAndNothingIsLost() throws Exception {
        try (NodeUnderTest node = withBucket(new NodeUnderTest(BINARIES, "worker"), "backups")) {
            node.start();
            awaitOutput(node, "backups: stanza '" + node.env("BACKUP_STANZA") + "' ready");
            node.execute("create table kept (id int primary key)", "insert into kept select generate_series(1, 100)");
            backUp(node);
            archiveCurrentWal(node);
            node.stop();
            node.env("BACKUP_RESTORE_POINT", "no-such-point");

            Result refused = node.runToExit();
            assertEquals(1, refused.exitCode(), refused.stdout() + refused.stderr());
            String refusal = "[restore-point-not-reached]: stanza '" + node.env("BACKUP_STANZA")
                    + "' has no restore point 'no-such-point'";
            assertTrue(refused.stderr().contains(refusal), refused.stderr());
            Path[] aside;
            try (var entries = Files.list(node.volume)) {
                aside = entries.filter(p -> p.getFileName().toString().startsWith("pgdata.before-restore-"))
                        .toArray(Path[]::new);
            }
            assertEquals(1, aside.length, "the data from before the restore, moved aside");
            assertTrue(Files.exists(aside[0].resolve("PG_VERSION")));

            Result again = node.runToExit();
            assertEquals(1, again.exitCode());
            assertTrue(again.stderr().contains(refusal), again.stderr());
            assertFalse(again.stdout().contains("restore: restoring"), "no second restore:\n" + again.stdout());
            assertTrue(again.stderr().contains("or remove the restore variables from every node to go back"),
                    "the refusal says how to back out: " + again.stderr());

            // Backing out, as the refusal says: the variable removed, the node comes back on its data from before.
            node.env("BACKUP_RESTORE_POINT", "");
            node.start();
            awaitOutput(node, "[restore-backed-out]");
            assertTrue(node.allOutput().contains("the data from before the restore, " + aside[0] + ", is back in place"),
                    node.allOutput());
            assertEquals("100", node.query("select count(*) from kept"));
            node.execute("insert into kept values (101)");
            try (var entries = Files.list(node.volume)) {
                assertEquals(1, entries.filter(p -> p.getFileName().toString().startsWith(
                        "pgdata.unfinished-restore-")).count(), "the refused restore's copy, moved aside, not deleted");
            }
        }
    }
}
