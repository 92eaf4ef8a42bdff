package org.citusrailway.benchmark;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.citusrailway.testkit.ComposeProject;
import org.citusrailway.testkit.DockerEngine;
import org.citusrailway.testkit.TestS3Server;

/**
 * Recovery point objective through the product's own path: the compose cluster (the images and the registrar as they
 * are) with the bucket's variables in its .env, an S3 API server on this machine (S3Proxy over HTTPS), and a steady
 * writer committing one row every 10 ms through the published coordinator. For the given minutes it reads the
 * registrar's /status every 2 s: per node, the WAL written but not yet in the bucket (bytes, and seconds since the node
 * last archived a segment while such WAL waits), which is what a lost volume would lose; and the restore points the
 * registrar announced, with how long after each was made it was restorable. Goal: at most archive_timeout (60 s) + 10 s
 * on every node.
 *
 * <p>Usage, from the repository root: {@code java -cp benchmark/target/benchmark.jar
 * org.citusrailway.benchmark.RpoRun [--minutes 4] [--s3proxy-jar P]}
 */
public final class RpoRun {
    private static final Path ROOT = Path.of("").toAbsolutePath();
    private static final List<String> BASE_IMAGES = List.of("citusdata/citus:13.2.0", "eclipse-temurin:25-jdk",
            "debian:bookworm-slim");
    private static final String PROJECT = "citus-rpo-run";
    private static final String PASSWORD = "rpoRunPassword1";
    private static final String HOST_NAME = "host.docker.internal";
    private static final long GOAL_SECONDS = 70;
    private static final Pattern ARCHIVE_ROW = Pattern.compile("\"node\":\"([^\"]+)\",\"answered\":true[^}]*?"
            + "\"notArchivedBytes\":(\\d+),\"notArchivedSeconds\":(\\d+)");
    private static final Pattern ANNOUNCED = Pattern.compile(
            "restore point (citus-\\d{8}T\\d{6}Z) is restorable: its WAL is in the bucket of every node \\((\\d+) s after");
    private static final String USAGE = """
            usage: java -cp benchmark/target/benchmark.jar org.citusrailway.benchmark.RpoRun [options]
                   (run from the repository root; needs a Docker engine with the base images, and S3Proxy's jar)
              --minutes M       how long the steady writer runs (default 4)
              --s3proxy-jar P   S3Proxy's jar with dependencies (default benchmark/target/s3proxy/s3proxy.jar)
            """;

    private final ComposeProject project;
    private final Path override;
    private final HttpClient http = HttpClient.newHttpClient();

    private RpoRun(ComposeProject project, Path override) {
        this.project = project;
        this.override = override;
    }

    public static void main(String[] args) throws Exception {
        int minutes = 4;
        String jar = System.getProperty(TestS3Server.JAR_PROPERTY, "benchmark/target/s3proxy/s3proxy.jar");
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--help") || args[i].equals("-h") || i + 1 >= args.length) {
                System.out.print(USAGE);
                System.exit(args[i].startsWith("-h") || args[i].equals("--help") ? 0 : 2);
            }
            switch (args[i]) {
                case "--minutes" -> minutes = Integer.parseInt(args[++i]);
                case "--s3proxy-jar" -> jar = args[++i];
                default -> {
                    System.err.print("unknown option " + args[i] + "\n" + USAGE);
                    System.exit(2);
                }
            }
        }
        System.setProperty(TestS3Server.JAR_PROPERTY, Path.of(jar).toAbsolutePath().toString());
        Optional<String> unusable = DockerEngine.unusableBecause(BASE_IMAGES).or(TestS3Server::unavailableReason);
        if (unusable.isPresent()) {
            System.out.println("SKIPPED: " + unusable.get());
            return;
        }
        String gateway = ComposeProject.run(Duration.ofSeconds(10), Map.of(), ROOT, "docker", "network", "inspect",
                "bridge", "--format", "{{range .IPAM.Config}}{{.Gateway}}{{end}}").out().strip();
        Path dir = Files.createTempDirectory("citus-rpo-run-");
        try (Cleanup cleanup = new Cleanup(dir)) {
            TestS3Server s3 = cleanup.register(TestS3Server.start(dir.resolve("s3"), gateway, List.of(HOST_NAME)));
            s3.createBucket("backups");
            Path envFile = dir.resolve("rpo.env");
            Files.writeString(envFile, String.join("\n", "POSTGRES_PASSWORD=" + PASSWORD, "NODE_MEMORY_LIMIT=1g",
                    "BUCKET=backups", "ACCESS_KEY_ID=" + TestS3Server.ACCESS_KEY_ID,
                    "SECRET_ACCESS_KEY=" + TestS3Server.SECRET_ACCESS_KEY, "REGION=" + TestS3Server.REGION,
                    "ENDPOINT=" + s3.endpoint(HOST_NAME), "BACKUP_S3_URI_STYLE=path", ""));
            Path override = dir.resolve("rpo.override.yml");
            StringBuilder yaml = new StringBuilder("services:\n");
            for (String node : List.of("coordinator", "worker1", "worker2")) {
                yaml.append("  ").append(node).append(":\n    environment:\n      BACKUP_CA_FILE: /opt/s3-ca.pem\n")
                        .append("    extra_hosts: [\"").append(HOST_NAME).append(":host-gateway\"]\n")
                        .append("    volumes: [\"").append(s3.caFile()).append(":/opt/s3-ca.pem:ro\"]\n");
            }
            // Restore points at their default interval (1 h): each closes every node's segment, which would hide
            // what archive_timeout alone leaves waiting.
            yaml.append("  registrar:\n    environment:\n      BACKUP_CHECK_INTERVAL: 5s\n");
            Files.writeString(override, yaml.toString());
            RpoRun run = new RpoRun(new ComposeProject(PROJECT, envFile, ROOT), override);
            try {
                run.measure(minutes);
            } finally {
                run.compose(Duration.ofMinutes(3), "down", "-v", "--remove-orphans");
            }
        }
    }

    private void measure(int minutes) throws Exception {
        compose(Duration.ofMinutes(2), "down", "-v", "--remove-orphans");
        must(compose(Duration.ofMinutes(25), "build"), "docker compose build");
        must(compose(Duration.ofMinutes(5), "up", "-d", "--wait"), "docker compose up -d --wait");
        long deadline = System.nanoTime() + Duration.ofMinutes(5).toNanos();
        while (count(status(), "\"type\":\"full\"") < 3) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("no full backup of every node within 5 minutes: " + status());
            }
            Thread.sleep(1000);
        }
        AtomicBoolean writing = new AtomicBoolean(true);
        AtomicLong rows = new AtomicLong();
        AtomicLong errors = new AtomicLong();
        try (Connection c = ComposeProject.connectCoordinator(PASSWORD); Statement s = c.createStatement()) {
            s.execute("create table rpo_rows (id bigint primary key, at timestamptz default now(), pad text)");
            s.execute("select create_distributed_table('rpo_rows', 'id')");
        }
        Thread writer = Thread.ofPlatform().name("steady-writer").start(() -> write(writing, rows, errors));
        Map<String, long[]> worst = new TreeMap<>(); // node -> {max bytes, max seconds, samples}
        long started = System.nanoTime();
        long end = started + Duration.ofMinutes(minutes).toNanos();
        while (System.nanoTime() < end) {
            Matcher m = ARCHIVE_ROW.matcher(status());
            while (m.find()) {
                long[] w = worst.computeIfAbsent(m.group(1), k -> new long[3]);
                w[0] = Math.max(w[0], Long.parseLong(m.group(2)));
                w[1] = Math.max(w[1], Long.parseLong(m.group(3)));
                w[2]++;
            }
            Thread.sleep(2000);
        }
        writing.set(false);
        writer.join();
        double seconds = (System.nanoTime() - started) / 1e9;
        List<Long> delays = new ArrayList<>();
        Matcher announced = ANNOUNCED.matcher(compose(Duration.ofMinutes(1), "logs", "--no-color", "registrar").out());
        while (announced.find()) {
            delays.add(Long.parseLong(announced.group(2)));
        }
        Report report = new Report();
        report.info("steady writer", String.format(Locale.ROOT, "%d rows in %.0f s (%.0f/s), %d errors", rows.get(),
                seconds, rows.get() / seconds, errors.get()));
        long worstSeconds = 0;
        for (var node : worst.entrySet()) {
            long[] w = node.getValue();
            worstSeconds = Math.max(worstSeconds, w[1]);
            report.info("not archived, " + node.getKey(), String.format(Locale.ROOT, "max %d s, max %.1f MB (%d"
                    + " samples of /status)", w[1], w[0] / 1048576.0, w[2]));
        }
        report.target("WAL not yet in the bucket, worst node", worstSeconds + " s", "<= " + GOAL_SECONDS + " s",
                worst.size() == 3 ? worstSeconds <= GOAL_SECONDS : null);
        report.info("restore points announced", delays.size() + ", each restorable " + (delays.isEmpty() ? "-"
                : delays.stream().mapToLong(Long::longValue).min().orElseThrow() + "-"
                        + delays.stream().mapToLong(Long::longValue).max().orElseThrow()) + " s after it was made");
        report.detail("The registrar reads every node's archiving every 30 s (archive.nodes[] in /status); the"
                + " seconds are since the node last archived a segment while WAL waits, so a quiet node's figure"
                + " cycles up to archive_timeout.");
        System.out.println();
        System.out.println("Recovery point objective through the compose cluster, " + Machine.describe());
        report.print(System.out);
    }

    /** One row every 10 ms on one connection, reconnecting after an error, until told to stop. */
    private static void write(AtomicBoolean writing, AtomicLong rows, AtomicLong errors) {
        long id = 0;
        while (writing.get()) {
            try (Connection c = ComposeProject.connectCoordinator(PASSWORD);
                    PreparedStatement insert = c.prepareStatement("insert into rpo_rows (id, pad) values (?, ?)")) {
                while (writing.get()) {
                    insert.setLong(1, ++id);
                    insert.setString(2, "x".repeat(200));
                    insert.executeUpdate();
                    rows.incrementAndGet();
                    Thread.sleep(10);
                }
            } catch (SQLException e) {
                errors.incrementAndGet();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private String status() {
        try {
            return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:8080/status"))
                    .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString()).body();
        } catch (IOException e) {
            return "";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "";
        }
    }

    private ComposeProject.Result compose(Duration timeout, String... arguments) {
        List<String> all = new ArrayList<>(List.of("-f", ROOT.resolve("docker-compose.yml").toString(), "-f",
                override.toString()));
        all.addAll(List.of(arguments));
        return project.compose(timeout, all.toArray(String[]::new));
    }

    private static void must(ComposeProject.Result result, String what) {
        if (!result.ok()) {
            throw new IllegalStateException(what + " failed:\n" + result.out());
        }
    }

    private static int count(String text, String part) {
        int n = 0;
        for (int i = text.indexOf(part); i >= 0; i = text.indexOf(part, i + 1)) {
            n++;
        }
        return n;
    }
}
