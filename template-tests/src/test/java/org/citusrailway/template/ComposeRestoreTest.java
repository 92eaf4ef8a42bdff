package org.citusrailway.template;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.citusrailway.testkit.Await;
import org.citusrailway.testkit.ComposeProject;
import org.citusrailway.testkit.ComposeProject.Result;
import org.citusrailway.testkit.DockerEngine;
import org.citusrailway.testkit.TestS3Server;
import org.junit.jupiter.api.Test;

/**
 * Backups and whole-cluster restores with the images, the compose file and the registrar as they are, in a real
 * Docker engine, against an S3 server on this machine (S3Proxy over HTTPS), the way a disaster happens: every node
 * killed (SIGKILL, no shutdown that would archive its last WAL) seconds after a point was announced, every volume
 * destroyed, and the cluster brought back to that point with exactly the rows committed before it. Three times: a
 * scheduled point, a scheduled point made after a restore (on promoted nodes), and a hand-made point. Then the bucket
 * is cut off while the cluster runs. Skips within seconds where there is no engine, no base image or no S3Proxy jar.
 */
class ComposeRestoreTest {
    private static final Path ROOT = ProjectFiles.root();
    private static final List<String> BASE_IMAGES = List.of("citusdata/citus:13.2.0", "eclipse-temurin:25-jdk",
            "debian:bookworm-slim");
    private static final List<String> NODES = List.of("coordinator", "worker1", "worker2");
    private static final String PROJECT = "citus-restore-test";
    private static final String PASSWORD = "composeRestorePassword1";
    private static final String HOST_NAME = "host.docker.internal";
    private static final Pattern POINT = Pattern.compile(
            "\"lastRestorePoint\":\"(citus-\\d{8}T\\d{6}Z)\",\"lastRestorePointAt\":\"([^\"]+)\"");
    private static final Pattern ANNOUNCED = Pattern.compile(
            "restore point (citus-\\d{8}T\\d{6}Z) is restorable: its WAL is in the bucket of every node \\((\\d+) s after");

    private ComposeProject project;
    private Path envFile;
    private String baseEnvironment;
    private Path override;

    @Test
    void everyAnnouncedPointRestoresAfterEveryNodeIsKilledAndEveryVolumeLost() throws Exception {
        Optional<String> unusable = DockerEngine.unusableBecause(BASE_IMAGES).or(TestS3Server::unavailableReason);
        assumeTrue(unusable.isEmpty(), () -> unusable.orElseThrow() + ", so the cluster cannot be restored here");
        String gateway = ComposeProject.run(Duration.ofSeconds(10), Map.of(), ROOT, "docker", "network", "inspect",
                "bridge", "--format", "{{range .IPAM.Config}}{{.Gateway}}{{end}}").out().strip();
        assumeTrue(gateway.matches("\\d+\\.\\d+\\.\\d+\\.\\d+"), "the engine's bridge network names no IPv4 gateway ("
                + gateway + "), so a container cannot reach a server on this machine");
        Path dir = Files.createTempDirectory("compose-restore-test-");
        envFile = dir.resolve("test.env");
        project = new ComposeProject(PROJECT, envFile, ROOT);
        try (TestS3Server s3 = TestS3Server.start(dir.resolve("s3"), gateway, List.of(HOST_NAME))) {
            s3.createBucket("backups");
            // The bucket's five variables in .env, as docs/operations.md says; path-style for S3Proxy. Each node's
            // stanza is its own name (NODE_IDENTITY): no BACKUP_STANZA anywhere.
            baseEnvironment = String.join("\n", "POSTGRES_PASSWORD=" + PASSWORD, "NODE_MEMORY_LIMIT=1g",
                    "BUCKET=backups", "ACCESS_KEY_ID=" + TestS3Server.ACCESS_KEY_ID,
                    "SECRET_ACCESS_KEY=" + TestS3Server.SECRET_ACCESS_KEY, "REGION=" + TestS3Server.REGION,
                    "ENDPOINT=" + s3.endpoint(HOST_NAME), "BACKUP_S3_URI_STYLE=path", "");
            Files.writeString(envFile, baseEnvironment);
            override = writeOverride(dir, s3);
            compose(Duration.ofMinutes(2), "down", "-v", "--remove-orphans");
            assertOk(compose(Duration.ofMinutes(25), "build"), "docker compose build");
            assertOk(compose(Duration.ofMinutes(5), "up", "-d", "--wait"), "docker compose up -d --wait");
            Await.until(Duration.ofMinutes(3), "a full backup of every node and a restore point", () -> {
                String status = status();
                return count(status, "\"type\":\"full\"") == 3 && POINT.matcher(status).find();
            });
            for (String node : NODES) {
                assertTrue(psqlOn(node, "show citus_node.backup_command").contains(" " + node + " "),
                        node + "'s stanza is named after it");
            }
            assertFalse(logs("coordinator").contains("archiving is not configured"), logs("coordinator"));

            // 1. A scheduled point, then more writes, then every machine lost.
            psql("create table orders (id bigint primary key, batch int)",
                    "select create_distributed_table('orders', 'id')",
                    "create table kinds (k int primary key)", "select create_reference_table('kinds')",
                    "insert into orders select g, 1 from generate_series(1, 20000) g",
                    "insert into kinds select generate_series(1, 10)");
            String first = announcedPointAfter(Instant.now());
            psql("insert into orders select g, 2 from generate_series(20001, 25000) g", "delete from kinds where k > 5");
            killEveryNodeAndRestore(first);
            assertEquals("20000 1", psql("select count(*) || ' ' || max(batch) from orders"));
            assertEquals("10", psql("select count(*) from kinds"));
            assertRestoredTo(first);

            // 2. A scheduled point made on the restored (promoted) nodes.
            psql("insert into orders select g, 3 from generate_series(30001, 33000) g");
            String second = announcedPointAfter(Instant.now());
            psql("insert into orders select g, 4 from generate_series(40001, 41000) g");
            killEveryNodeAndRestore(second);
            assertEquals("23000 3", psql("select count(*) || ' ' || max(batch) from orders"));
            assertRestoredTo(second);

            // 3. A hand-made point, made restorable at once as docs/operations.md says.
            psql("insert into orders select g, 5 from generate_series(50001, 51000) g",
                    "select citus_create_restore_point('before-migration')",
                    "select count(*) from run_command_on_all_nodes($$select pg_switch_wal()$$)");
            Await.until(Duration.ofMinutes(2), "every node archived its closed segments", () -> psql(
                    "select string_agg(result, ',') from run_command_on_all_nodes($$select count(*) from"
                            + " pg_ls_archive_statusdir() where name like '%.ready'$$)").equals("0,0,0"));
            psql("insert into orders select g, 6 from generate_series(60001, 62000) g");
            killEveryNodeAndRestore("before-migration");
            assertEquals("24000 5", psql("select count(*) || ' ' || max(batch) from orders"));
            assertRestoredTo("before-migration");

            // 4. The bucket cut off while the cluster runs.
            bucketOutage(s3);
            assertFalse(logs("registrar").contains(TestS3Server.SECRET_ACCESS_KEY), "the bucket's secret is in no log");
        } finally {
            compose(Duration.ofMinutes(3), "down", "-v", "--remove-orphans");
            try (Stream<Path> paths = Files.walk(dir)) {
                for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    /** Waits for the registrar to announce a point made after {@code after}; its name. */
    private String announcedPointAfter(Instant after) {
        String[] point = new String[1];
        Await.until(Duration.ofMinutes(2), "a restore point announced after " + after, () -> {
            Matcher m = POINT.matcher(status());
            if (m.find() && Instant.parse(m.group(2)).isAfter(after)) {
                point[0] = m.group(1);
                return true;
            }
            return false;
        });
        Matcher announced = ANNOUNCED.matcher(logs("registrar"));
        while (announced.find()) {
            if (announced.group(1).equals(point[0])) {
                report("restore point %s announced %s s after it was made", point[0], announced.group(2));
            }
        }
        return point[0];
    }

    /**
     * SIGKILL to every node's container from the host (no shutdown: WAL not yet archived is lost with the volume), every
     * volume destroyed, then the whole cluster restored to {@code point}.
     */
    private void killEveryNodeAndRestore(String point) throws IOException {
        List<String> ps = new ArrayList<>(List.of("ps", "-q"));
        ps.addAll(NODES);
        List<String> containers = compose(Duration.ofMinutes(1), ps.toArray(String[]::new)).out().strip().lines()
                .toList();
        assertEquals(3, containers.size(), "the node containers: " + containers);
        // Not restarted by the engine (restart: unless-stopped) only to be stopped gracefully by the "down" below.
        docker("update", "--restart=no", containers);
        docker("kill", "--signal=KILL", containers);
        assertOk(compose(Duration.ofMinutes(3), "down", "-v"), "docker compose down -v (every volume lost)");
        Files.writeString(envFile, baseEnvironment + "BACKUP_RESTORE_POINT=" + point + "\n");
        long restoring = System.nanoTime();
        assertOk(compose(Duration.ofMinutes(6), "up", "-d", "--wait"), "docker compose up with the restore point");
        report("whole cluster restored to %s from the bucket in %d s", point,
                (System.nanoTime() - restoring) / 1_000_000_000L);
    }

    private static void docker(String command, String option, List<String> containers) {
        List<String> arguments = new ArrayList<>(List.of("docker", command, option));
        arguments.addAll(containers);
        assertOk(ComposeProject.run(Duration.ofMinutes(1), Map.of(), ROOT, arguments.toArray(String[]::new)),
                String.join(" ", arguments));
    }

    private void assertRestoredTo(String point) {
        assertEquals("t", psql("select bool_and(result) from citus_check_cluster_node_health()"));
        for (String node : NODES) {
            assertEquals(point, psqlOn(node, "show citus_node.restored_to"), node);
        }
        assertTrue(logs("coordinator").contains("every worker is at restore point '" + point + "'"), logs("coordinator"));
        Await.until(Duration.ofMinutes(1), "the registrar's next pass after the restore", () -> count(status(),
                "\"isactive\":true") == 3);
        assertFalse(logs("registrar").contains("worker-restore-mismatch"), logs("registrar"));
    }

    /**
     * With the bucket cut off: every node's last backup stays shown with the bucket's error, no backup is started, no
     * point is made, archiving is reported failing within a minute of a closed segment; once the bucket is back,
     * archiving is reported recovered within a minute and points resume.
     */
    private void bucketOutage(TestS3Server s3) {
        Await.until(Duration.ofMinutes(2), "the registrar's backup view after the restore",
                () -> count(status(), "\"bucketReadable\":true") == 3);
        String lastBackups = lastBackupLabels(status());
        long startedBefore = count(logs("registrar"), "backup-started");
        long pointsBefore = count(logs("registrar"), "is restorable: its WAL");
        s3.stop();
        long cut = System.nanoTime();
        psqlOn("worker1", "select count(*) from (select pg_switch_wal()) s");
        psql("insert into orders values (70001, 7)");
        Await.until(Duration.ofMinutes(2), "wal-archive-failing", () -> logs("registrar").contains("wal-archive-failing"));
        long failingAfter = (System.nanoTime() - cut) / 1_000_000_000L;
        Await.until(Duration.ofMinutes(2), "every node's bucket error in /status",
                () -> count(status(), "\"bucketReadable\":false") == 3);
        report("bucket cut off: wal-archive-failing after %d s, /status shows the bucket errors after %d s",
                failingAfter, (System.nanoTime() - cut) / 1_000_000_000L);
        String during = status();
        assertEquals(lastBackups, lastBackupLabels(during), "every node's last backup stays shown: " + during);
        assertTrue(during.contains("backup-bucket-unreadable") || during.contains("no answer from the bucket"), during);
        sleep(Duration.ofSeconds(30));
        assertEquals(startedBefore, count(logs("registrar"), "backup-started"), "no backup because a read failed");
        assertEquals(pointsBefore, count(logs("registrar"), "is restorable: its WAL"), "no point announced meanwhile");

        s3.start();
        long back = System.nanoTime();
        Await.until(Duration.ofMinutes(2), "wal-archive-recovered", () -> logs("registrar").contains(
                "wal-archive-recovered"));
        long recoveredAfter = (System.nanoTime() - back) / 1_000_000_000L;
        announcedPointAfter(Instant.now().minusSeconds(1));
        report("bucket back: wal-archive-recovered after %d s, the next point announced after %d s", recoveredAfter,
                (System.nanoTime() - back) / 1_000_000_000L);
        assertTrue(failingAfter <= 60, "wal-archive-failing within a minute, took " + failingAfter + " s");
        assertTrue(recoveredAfter <= 60, "wal-archive-recovered within a minute, took " + recoveredAfter + " s");
        assertEquals(startedBefore, count(logs("registrar"), "backup-started"), "no backup re-taken after the outage");
    }

    private static String lastBackupLabels(String status) {
        List<String> labels = new ArrayList<>();
        Matcher m = Pattern.compile("\"lastBackup\":\\{\"label\":\"([^\"]+)\"").matcher(status);
        while (m.find()) {
            labels.add(m.group(1));
        }
        return String.join(",", labels);
    }

    private String logs(String service) {
        return compose(Duration.ofMinutes(1), "logs", "--no-color", service).out();
    }

    private static void sleep(Duration duration) {
        try {
            Thread.sleep(duration);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** What a local S3 server with its own CA needs beyond .env, and the registrar's quick schedule. */
    private static Path writeOverride(Path dir, TestS3Server s3) throws IOException {
        StringBuilder yaml = new StringBuilder("services:\n");
        for (String node : NODES) {
            yaml.append("  ").append(node).append(":\n")
                    .append("    environment:\n")
                    .append("      BACKUP_CA_FILE: /opt/citus-test/s3-ca.pem\n")
                    .append("    extra_hosts: [\"").append(HOST_NAME).append(":host-gateway\"]\n")
                    .append("    volumes: [\"").append(s3.caFile()).append(":/opt/citus-test/s3-ca.pem:ro\"]\n");
        }
        yaml.append("  registrar:\n    environment:\n      BACKUP_CHECK_INTERVAL: 5s\n      RESTORE_POINT_INTERVAL: 20s\n");
        Path file = dir.resolve("backups.override.yml");
        Files.writeString(file, yaml.toString());
        return file;
    }

    private Result compose(Duration timeout, String... arguments) {
        List<String> withFiles = new ArrayList<>(List.of("-f", ROOT.resolve("docker-compose.yml").toString()));
        if (override != null) {
            withFiles.addAll(List.of("-f", override.toString()));
        }
        withFiles.addAll(List.of(arguments));
        return project.compose(timeout, withFiles.toArray(String[]::new));
    }

    private String psql(String... statements) {
        String last = "";
        for (String sql : statements) {
            last = psqlOn("coordinator", sql);
        }
        return last;
    }

    /** One statement in a node's container over its Unix socket; the first column of the first row. */
    private String psqlOn(String node, String sql) {
        Result result = compose(Duration.ofSeconds(60), "exec", "-T", "-u", "postgres", node, "psql", "-X", "-A", "-t",
                "-q", "-v", "ON_ERROR_STOP=1", "-d", "postgres", "-c", sql);
        if (!result.ok()) {
            throw new IllegalStateException(node + ": " + sql + ": " + result.out());
        }
        return result.out().strip();
    }

    private static String status() {
        try {
            HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:8080/status")).timeout(Duration.ofSeconds(5)).build(),
                    HttpResponse.BodyHandlers.ofString());
            return response.body();
        } catch (IOException e) {
            return "";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static int count(String text, String part) {
        int n = 0;
        for (int i = text.indexOf(part); i >= 0; i = text.indexOf(part, i + 1)) {
            n++;
        }
        return n;
    }

    private static void assertOk(Result result, String what) {
        assertEquals(0, result.code(), what + " failed:\n" + result.out());
    }

    private static void report(String format, Object... arguments) {
        System.out.println("compose-restore: " + String.format(format, arguments));
    }
}
