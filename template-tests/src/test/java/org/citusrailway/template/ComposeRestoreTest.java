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
import java.nio.file.StandardOpenOption;
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
 * Backups and a whole-cluster restore with the images, the compose file and the registrar as they are, in a real
 * Docker engine, against an S3 server on this machine (S3Proxy over HTTPS): the registrar backs up every node and
 * makes restore points on its own; every volume is destroyed; the cluster comes back at a scheduled point with
 * exactly the rows committed before it, and the registrar carries on. Skips within seconds where there is no engine,
 * no base image or no S3Proxy jar.
 */
class ComposeRestoreTest {
    private static final Path ROOT = ProjectFiles.root();
    private static final List<String> BASE_IMAGES = List.of("citusdata/citus:13.2.0", "eclipse-temurin:25-jdk",
            "debian:bookworm-slim");
    private static final String PROJECT = "citus-restore-test";
    private static final String PASSWORD = "composeRestorePassword1";
    private static final String HOST_NAME = "host.docker.internal";
    private static final Pattern POINT = Pattern.compile(
            "\"lastRestorePoint\":\"(citus-\\d{8}T\\d{6}Z)\",\"lastRestorePointAt\":\"([^\"]+)\"");

    private ComposeProject project;
    private Path override;

    @Test
    void theRegistrarsBackupsBringTheWholeClusterBackToAScheduledPointAfterEveryVolumeIsLost() throws Exception {
        Optional<String> unusable = DockerEngine.unusableBecause(BASE_IMAGES).or(TestS3Server::unavailableReason);
        assumeTrue(unusable.isEmpty(), () -> unusable.orElseThrow() + ", so the cluster cannot be restored here");
        String gateway = ComposeProject.run(Duration.ofSeconds(10), Map.of(), ROOT, "docker", "network", "inspect",
                "bridge", "--format", "{{range .IPAM.Config}}{{.Gateway}}{{end}}").out().strip();
        assumeTrue(gateway.matches("\\d+\\.\\d+\\.\\d+\\.\\d+"), "the engine's bridge network names no IPv4 gateway ("
                + gateway + "), so a container cannot reach a server on this machine");
        Path dir = Files.createTempDirectory("compose-restore-test-");
        Path envFile = dir.resolve("test.env");
        Files.writeString(envFile, "POSTGRES_PASSWORD=" + PASSWORD + "\nNODE_MEMORY_LIMIT=1g\n");
        project = new ComposeProject(PROJECT, envFile, ROOT);
        try (TestS3Server s3 = TestS3Server.start(dir.resolve("s3"), gateway, List.of(HOST_NAME))) {
            s3.createBucket("backups");
            override = writeOverride(dir, s3);
            compose(Duration.ofMinutes(2), "down", "-v", "--remove-orphans");
            assertOk(compose(Duration.ofMinutes(25), "build"), "docker compose build");
            assertOk(compose(Duration.ofMinutes(5), "up", "-d", "--wait"), "docker compose up -d --wait");

            Await.until(Duration.ofMinutes(3), "a full backup of every node and a restore point", () -> {
                String status = status();
                return count(status, "\"type\":\"full\"") == 3 && POINT.matcher(status).find();
            });
            psql("create table orders (id bigint primary key, batch int)",
                    "select create_distributed_table('orders', 'id')",
                    "create table kinds (k int primary key)", "select create_reference_table('kinds')",
                    "insert into orders select g, 1 from generate_series(1, 20000) g",
                    "insert into kinds select generate_series(1, 10)");
            Instant written = Instant.now();
            String[] point = new String[1];
            Await.until(Duration.ofMinutes(2), "a restore point after the first rows", () -> {
                Matcher m = POINT.matcher(status());
                if (m.find() && Instant.parse(m.group(2)).isAfter(written)) {
                    point[0] = m.group(1);
                    return true;
                }
                return false;
            });
            psql("insert into orders select g, 2 from generate_series(20001, 25000) g", "delete from kinds where k > 5");
            for (String node : List.of("coordinator", "worker1", "worker2")) {
                String segment = psqlOn(node, "select pg_walfile_name(pg_switch_wal())");
                Await.until(Duration.ofMinutes(2), node + " archived " + segment, () -> "t".equals(psqlOn(node,
                        "select coalesce(last_archived_wal >= '" + segment + "', false) from pg_stat_archiver")));
            }

            assertOk(compose(Duration.ofMinutes(3), "down", "-v"), "docker compose down -v (every volume lost)");
            Files.writeString(envFile, "RESTORE_POINT=" + point[0] + "\n", StandardOpenOption.APPEND);
            long restoring = System.nanoTime();
            assertOk(compose(Duration.ofMinutes(6), "up", "-d", "--wait"), "docker compose up with the restore point");
            report("whole cluster restored to %s from the bucket in %d s", point[0],
                    (System.nanoTime() - restoring) / 1_000_000_000L);

            assertEquals("20000 1", psql("select count(*) || ' ' || max(batch) from orders"));
            assertEquals("10", psql("select count(*) from kinds"));
            assertEquals("t", psql("select bool_and(result) from citus_check_cluster_node_health()"));
            for (String node : List.of("coordinator", "worker1", "worker2")) {
                assertEquals(point[0], psqlOn(node, "show citus_node.restored_to"), node);
            }
            String coordinatorLog = compose(Duration.ofMinutes(1), "logs", "--no-color", "coordinator").out();
            assertTrue(coordinatorLog.contains("every worker is at restore point '" + point[0] + "'"), coordinatorLog);
            Await.until(Duration.ofMinutes(1), "the registrar's next pass after the restore", () -> count(status(),
                    "\"isactive\":true") == 3);
            psql("insert into orders values (30000, 3)");
            String registrarLog = compose(Duration.ofMinutes(1), "logs", "--no-color", "registrar").out();
            assertFalse(registrarLog.contains("worker-restore-mismatch"), registrarLog);
            assertFalse(registrarLog.contains(TestS3Server.SECRET_ACCESS_KEY), "the bucket's secret is in no log");
        } finally {
            compose(Duration.ofMinutes(3), "down", "-v", "--remove-orphans");
            try (Stream<Path> paths = Files.walk(dir)) {
                for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    /** Every node gets the bucket (as references to a Railway Bucket give it) and the registrar a quick schedule. */
    private static Path writeOverride(Path dir, TestS3Server s3) throws IOException {
        StringBuilder yaml = new StringBuilder("services:\n");
        for (String node : List.of("coordinator", "worker1", "worker2")) {
            yaml.append("  ").append(node).append(":\n")
                    .append("    environment:\n")
                    .append("      BUCKET: backups\n")
                    .append("      ACCESS_KEY_ID: ").append(TestS3Server.ACCESS_KEY_ID).append('\n')
                    .append("      SECRET_ACCESS_KEY: ").append(TestS3Server.SECRET_ACCESS_KEY).append('\n')
                    .append("      REGION: ").append(TestS3Server.REGION).append('\n')
                    .append("      ENDPOINT: ").append(s3.endpoint(HOST_NAME)).append('\n')
                    .append("      BACKUP_S3_URI_STYLE: path\n")
                    .append("      BACKUP_CA_FILE: /opt/citus-test/s3-ca.pem\n")
                    .append("      BACKUP_STANZA: ").append(node).append('\n')
                    .append("      BACKUP_RESTORE_POINT: ${RESTORE_POINT:-}\n")
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
