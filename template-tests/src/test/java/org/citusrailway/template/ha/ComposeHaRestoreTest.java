package org.citusrailway.template.ha;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
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
import org.citusrailway.template.ProjectFiles;
import org.citusrailway.testkit.Await;
import org.citusrailway.testkit.ComposeProject;
import org.citusrailway.testkit.ComposeProject.Result;
import org.citusrailway.testkit.DockerEngine;
import org.citusrailway.testkit.TestS3Server;
import org.citusrailway.testkit.ha.HaCompose;
import org.citusrailway.testkit.ha.HaCompose.Member;
import org.junit.jupiter.api.Test;

/**
 * Backups and whole-cluster restore of the high-availability variant (docker-compose.ha.yml) in a real Docker engine,
 * against an S3 server on this machine (S3Proxy over HTTPS): each group's primary archives to the group's stanza, the
 * registrar backs up each group's primary and announces cluster restore points; a worker group fails over (SIGKILL)
 * and its archive goes on in the same stanza; then every member is SIGKILLed and its volume destroyed (etcd keeps the
 * groups' old record) and the cluster is restored to the point made after the failover, standbys cloned again; then
 * restored once more, to the first point, over the volumes as they are. Skips within seconds where there is no engine,
 * no base image or no S3Proxy jar.
 */
class ComposeHaRestoreTest {
    private static final Path ROOT = ProjectFiles.root();
    private static final String PROJECT = "citus-ha-restore-test";
    private static final String PASSWORD = "haRestorePassword1";
    private static final String HOST_NAME = "host.docker.internal";
    private static final List<String> MEMBERS = HaCompose.MEMBERS;
    private static final List<String> GROUPS = List.of("coordinator", "worker1", "worker2");
    private static final Pattern POINT = Pattern.compile(
            "\"lastRestorePoint\":\"(citus-\\d{8}T\\d{6}Z)\",\"lastRestorePointAt\":\"([^\"]+)\"");

    private HaCompose ha;
    private Path envFile;
    private String baseEnvironment;

    @Test
    void eachGroupArchivesAcrossAFailoverAndTheWholeClusterRestoresWithItsStandbys() throws Exception {
        Optional<String> unusable = DockerEngine.unusableBecause(List.of("citusdata/citus:13.2.0"))
                .or(TestS3Server::unavailableReason);
        assumeTrue(unusable.isEmpty(), () -> unusable.orElseThrow() + ", so the HA cluster cannot be restored here");
        String gateway = ComposeProject.run(Duration.ofSeconds(10), Map.of(), ROOT, "docker", "network", "inspect",
                "bridge", "--format", "{{range .IPAM.Config}}{{.Gateway}}{{end}}").out().strip();
        assumeTrue(gateway.matches("\\d+\\.\\d+\\.\\d+\\.\\d+"), "the engine's bridge network names no IPv4 gateway ("
                + gateway + "), so a container cannot reach a server on this machine");
        Path dir = Files.createTempDirectory("compose-ha-restore-test-");
        envFile = dir.resolve("test.env");
        ha = new HaCompose(PROJECT, envFile, ROOT, PASSWORD, 25432);
        try (TestS3Server s3 = TestS3Server.start(dir.resolve("s3"), gateway, List.of(HOST_NAME))) {
            s3.createBucket("backups");
            baseEnvironment = String.join("\n", "POSTGRES_PASSWORD=" + PASSWORD, "NODE_MEMORY_LIMIT=512m",
                    "BUCKET=backups", "ACCESS_KEY_ID=" + TestS3Server.ACCESS_KEY_ID,
                    "SECRET_ACCESS_KEY=" + TestS3Server.SECRET_ACCESS_KEY, "REGION=" + TestS3Server.REGION,
                    "ENDPOINT=" + s3.endpoint(HOST_NAME), "BACKUP_S3_URI_STYLE=path", "") + ha.portSettings();
            Files.writeString(envFile, baseEnvironment);
            ha.addOverride(writeOverride(dir, s3));
            compose(Duration.ofMinutes(2), "down", "-v", "--remove-orphans");
            assertOk(compose(Duration.ofMinutes(25), "build"), "docker compose -f docker-compose.ha.yml build");
            assertOk(compose(Duration.ofMinutes(8), "up", "-d", "--wait"), "docker compose -f docker-compose.ha.yml up");
            awaitEveryGroupProtected();
            for (String member : MEMBERS) {
                String group = member.substring(0, member.lastIndexOf('-'));
                assertTrue(psqlOn(member, "show citus_node.backup_command").contains(" " + group + " "),
                        member + " archives to its group's stanza, " + group);
            }
            Await.until(Duration.ofMinutes(4), "a full backup of every group's primary and a restore point", () -> {
                String status = status();
                return count(status, "\"type\":\"full\"") == 3 && POINT.matcher(status).find();
            });

            // 1. A point; then a worker group's primary lost; the next point is made on its new primary's timeline.
            sql("create table orders (id bigint primary key, batch int)",
                    "select create_distributed_table('orders', 'id')",
                    "create table kinds (k int primary key)", "select create_reference_table('kinds')",
                    "insert into orders select g, 1 from generate_series(1, 20000) g",
                    "insert into kinds select generate_series(1, 10)");
            String first = announcedPointAfter(Instant.now());
            String lost = ha.leaderOrNull(1);
            long killed = ha.killAndKeepDown(lost);
            Await.until(Duration.ofMinutes(2), ha.partner(lost) + " leads group 1",
                    () -> ha.partner(lost).equals(ha.leaderOrNull(1)));
            report("group 1: %s lost, %s leads after %d s", lost, ha.partner(lost), seconds(killed));
            ha.restart(lost);
            sql("insert into orders select g, 2 from generate_series(20001, 25000) g", "delete from kinds where k > 5");
            String second = announcedPointAfter(Instant.now());
            String timeline = psqlOn(ha.partner(lost), "select substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8)");
            assertTrue(Long.parseLong(timeline, 16) > 1, "the point was archived from a new timeline: " + timeline);
            String third = abandonAPointWhoseGroupFailsOver(second);
            sql("insert into orders select g, 3 from generate_series(30001, 33000) g");

            // 2. Every member lost with its volume; etcd still holds each group's old record.
            killEveryMemberAndLoseItsVolume();
            restoreTo(third);
            assertEquals("25000 2", sql("select count(*) || ' ' || max(batch) from orders"));
            assertEquals("5", sql("select count(*) from kinds"));
            assertRestoredTo(third);
            sql("insert into orders select g, 4 from generate_series(40001, 41000) g");
            announcedPointAfter(Instant.now());

            // 3. Back to the first point over the volumes as they are: standbys set their data aside and clone again.
            restoreTo(first);
            assertEquals("20000 1", sql("select count(*) || ' ' || max(batch) from orders"));
            assertEquals("10", sql("select count(*) from kinds"));
            assertRestoredTo(first);
            for (String member : MEMBERS) {
                assertTrue(run("docker", "exec", ha.container(member), "sh", "-c",
                        "ls -d /var/lib/postgresql/data/pgdata.before-restore-*").out().contains("before-restore-"),
                        member + " kept its data from before the restore");
            }
        } catch (AssertionError | RuntimeException e) {
            for (String member : MEMBERS) {
                System.out.println("---- " + member + "\n" + tail(logs(member), 60));
            }
            System.out.println("---- registrar\n" + tail(logs("registrar"), 60));
            throw e;
        } finally {
            if (Boolean.getBoolean("ha.keep")) {
                report("kept running (-Dha.keep=true): docker compose -p %s -f docker-compose.ha.yml down -v", PROJECT);
            } else {
                compose(Duration.ofMinutes(3), "down", "-v", "--remove-orphans");
                try (Stream<Path> paths = Files.walk(dir)) {
                    for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                        Files.deleteIfExists(p);
                    }
                }
            }
        }
    }

    /**
     * A point made while worker group 2's primary cannot archive stays pending; that primary is then lost. Its standby,
     * promoted, may lack the point's WAL record, so the point is abandoned, never announced, and a new point is made
     * and announced at once. Returns the new point.
     */
    private String abandonAPointWhoseGroupFailsOver(String previous) {
        String primary = ha.leaderOrNull(2);
        psqlOn(primary, "alter system set archive_command = 'false'");
        psqlOn(primary, "select pg_reload_conf()");
        Pattern pendingLine = Pattern.compile("restore point (citus-\\d{8}T\\d{6}Z) is written on every node but not");
        String[] pending = new String[1];
        Await.until(Duration.ofMinutes(3), "a restore point pending on " + primary, () -> {
            Matcher m = pendingLine.matcher(logs("registrar"));
            while (m.find()) {
                if (m.group(1).compareTo(previous) > 0) {
                    pending[0] = m.group(1);
                }
            }
            return pending[0] != null;
        });
        long killed = ha.killAndKeepDown(primary);
        Instant lost = Instant.now();
        Await.until(Duration.ofMinutes(2), ha.partner(primary) + " leads group 2",
                () -> ha.partner(primary).equals(ha.leaderOrNull(2)));
        report("group 2: %s lost with restore point %s pending, %s leads after %d s", primary, pending[0],
                ha.partner(primary), seconds(killed));
        Await.until(Duration.ofMinutes(2), "restore-point-abandoned", () -> logs("registrar").contains(
                "restore point " + pending[0] + " is abandoned"));
        String next = announcedPointAfter(lost.minusSeconds(5));
        assertTrue(next.compareTo(pending[0]) > 0, next + " after " + pending[0]);
        assertTrue(!logs("registrar").contains("restore point " + pending[0] + " is restorable"),
                "the abandoned point is never announced");
        ha.restart(primary);
        return next;
    }

    private void awaitEveryGroupProtected() {
        Await.until(Duration.ofMinutes(10), "a leader and a streaming quorum standby in every group", () -> {
            Map<Integer, List<Member>> groups = ha.groups();
            return groups.size() == 3 && groups.values().stream().allMatch(g -> g.size() == 2
                    && g.stream().filter(Member::leads).count() == 1 && g.stream().anyMatch(Member::protects));
        });
    }

    /** SIGKILL of every member's container from the host, then its volume destroyed; etcd is left as it is. */
    private void killEveryMemberAndLoseItsVolume() {
        List<String> containers = MEMBERS.stream().map(ha::container).toList();
        run(concat(List.of("docker", "update", "--restart=no"), containers));
        run(concat(List.of("docker", "kill", "--signal=KILL"), containers));
        assertOk(compose(Duration.ofMinutes(2), concat(List.of("rm", "-f", "-s"), MEMBERS).toArray(String[]::new)),
                "docker compose rm of every member");
        for (String member : MEMBERS) {
            assertOk(run("docker", "volume", "rm", PROJECT + "_" + member + "-data"), "docker volume rm " + member);
        }
    }

    private void restoreTo(String point) throws IOException {
        Files.writeString(envFile, baseEnvironment + "BACKUP_RESTORE_POINT=" + point + "\n");
        long restoring = System.nanoTime();
        // The members only: the endpoint is unhealthy while no coordinator member leads, and compose would refuse to
        // start anything that depends on it.
        assertOk(compose(Duration.ofMinutes(3), concat(List.of("up", "-d"), MEMBERS).toArray(String[]::new)),
                "docker compose up of the members with the restore point");
        awaitEveryGroupProtected();
        report("HA cluster restored to %s, every group with its standby streaming again, in %d s", point,
                seconds(restoring));
    }

    private void assertRestoredTo(String point) {
        for (String member : MEMBERS) {
            assertEquals(point, psqlOn(member, "show citus_node.restored_to"), member);
        }
        Map<Integer, String> leaders = ha.leaders();
        Await.until(Duration.ofMinutes(1), "pg_dist_node names each group's leader", () -> {
            List<String> names = new ArrayList<>();
            for (int group = 1; group <= 2; group++) {
                names.add(sql("select nodename from pg_dist_node where groupid = " + group + " and noderole = 'primary'"));
            }
            return names.equals(List.of(leaders.get(1) + ".railway.internal", leaders.get(2) + ".railway.internal"));
        });
        assertEquals("t", sql("select bool_and(result) from citus_check_cluster_node_health()"));
        assertTrue(logs(ha.leaderOrNull(0)).contains("every worker is at restore point '" + point + "'")
                || logs("coordinator-a").contains("every worker is at restore point '" + point + "'"));
    }

    /** Waits for the registrar to announce a point made after {@code after}; its name. */
    private String announcedPointAfter(Instant after) {
        String[] point = new String[1];
        Await.until(Duration.ofMinutes(3), "a restore point announced after " + after, () -> {
            Matcher m = POINT.matcher(status());
            if (m.find() && Instant.parse(m.group(2)).isAfter(after)) {
                point[0] = m.group(1);
                return true;
            }
            return false;
        });
        report("restore point %s announced", point[0]);
        return point[0];
    }

    /** What a local S3 server with its own CA needs beyond .env, and the registrar's quick schedule. */
    private static Path writeOverride(Path dir, TestS3Server s3) throws IOException {
        StringBuilder yaml = new StringBuilder("services:\n");
        for (String member : MEMBERS) {
            yaml.append("  ").append(member).append(":\n")
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

    /** Statements through the stable endpoint; the first column of the last one's first row. */
    private String sql(String... statements) {
        return Await.value(Duration.ofSeconds(60), "the endpoint answers " + statements[statements.length - 1], () -> {
            try (Connection c = ha.connect(ha.endpointPort()); Statement s = c.createStatement()) {
                String last = "";
                for (String statement : statements) {
                    if (s.execute(statement)) {
                        try (ResultSet rs = s.getResultSet()) {
                            last = rs.next() ? rs.getString(1) : "";
                        }
                    }
                }
                return last;
            } catch (SQLException e) {
                return null;
            }
        });
    }

    /** One statement in a member's container over its Unix socket; the first column of the first row. */
    private String psqlOn(String member, String statement) {
        Result result = compose(Duration.ofSeconds(60), "exec", "-T", "-u", "postgres", member, "psql", "-X", "-A", "-t",
                "-q", "-v", "ON_ERROR_STOP=1", "-d", "postgres", "-c", statement);
        if (!result.ok()) {
            throw new IllegalStateException(member + ": " + statement + ": " + result.out());
        }
        return result.out().strip();
    }

    private String status() {
        try {
            HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + ha.registrarPort() + "/status")).timeout(Duration.ofSeconds(5))
                    .build(), HttpResponse.BodyHandlers.ofString());
            return response.body();
        } catch (IOException e) {
            return "";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private String logs(String service) {
        return compose(Duration.ofMinutes(1), "logs", "--no-color", service).out();
    }

    private Result compose(Duration timeout, String... arguments) {
        return ha.compose(timeout, arguments);
    }

    private Result run(String... command) {
        return ha.run(Duration.ofMinutes(1), command);
    }

    private Result run(List<String> command) {
        return run(command.toArray(String[]::new));
    }

    private static List<String> concat(List<String> first, List<String> second) {
        List<String> all = new ArrayList<>(first);
        all.addAll(second);
        return all;
    }

    private static String tail(String text, int lines) {
        List<String> all = text.lines().toList();
        return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
    }

    private static int count(String text, String part) {
        int n = 0;
        for (int i = text.indexOf(part); i >= 0; i = text.indexOf(part, i + 1)) {
            n++;
        }
        return n;
    }

    private static long seconds(long since) {
        return (System.nanoTime() - since) / 1_000_000_000L;
    }

    private static void assertOk(Result result, String what) {
        assertEquals(0, result.code(), what + " failed:\n" + result.out());
    }

    private static void report(String format, Object... arguments) {
        System.out.println("compose-ha-restore: " + String.format(format, arguments));
    }
}
