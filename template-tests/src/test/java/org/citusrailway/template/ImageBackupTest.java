package org.citusrailway.template;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.citusrailway.testkit.Await;
import org.citusrailway.testkit.ComposeProject;
import org.citusrailway.testkit.ComposeProject.Result;
import org.citusrailway.testkit.DockerEngine;
import org.citusrailway.testkit.TestS3Server;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The worker image built from this repository's Dockerfile, in a real Docker engine: it carries a pgBackRest that can
 * back up PostgreSQL 17, and a node container given a bucket's variables archives its WAL to an S3 API server
 * (S3Proxy, on the Docker bridge's gateway address, over TLS checked against a CA file mounted into the container).
 * The coordinator image is built from the same instructions (NodeImageFilesTest). Skips within seconds where there
 * is no engine, no base image (nothing is pulled) or no S3Proxy jar.
 */
class ImageBackupTest {
    private static final Path ROOT = ProjectFiles.root();
    private static final String BASE_IMAGE = "citusdata/citus:13.2.0";
    private static final String IMAGE = "citus-railway/worker:local";
    private static final String CONTAINER = "citus-image-backup-test-" + ProcessHandle.current().pid();
    /** How a container reaches this machine: Docker maps the name to the bridge's gateway (host-gateway). */
    private static final String HOST_NAME = "host.docker.internal";
    private static final String CA_IN_CONTAINER = "/opt/citus-test/s3-ca.pem";
    private static final String BUCKET = "backups";
    private static final String STANZA = "image-test";
    private static final String PASSWORD = "imageBackupTestPassword1";

    private static Optional<String> unusable;
    private static Path envFile;

    @BeforeAll
    static void buildTheWorkerImage() throws IOException {
        unusable = DockerEngine.unusableBecause(List.of(BASE_IMAGE)).or(TestS3Server::unavailableReason);
        if (unusable.isPresent()) {
            return;
        }
        envFile = Files.createTempFile("image-backup-test-", ".env");
        Files.writeString(envFile, "POSTGRES_PASSWORD=" + PASSWORD + "\n");
        ComposeProject project = new ComposeProject("citus-image-backup-test", envFile, ROOT);
        long building = System.nanoTime();
        assertOk(project.compose(Duration.ofMinutes(25), "build", "worker1"), "docker compose build worker1");
        report("%s built in %d s, %d MB", IMAGE, seconds(building),
                Long.parseLong(docker(Duration.ofSeconds(10), "image", "inspect", "--format", "{{.Size}}", IMAGE)
                        .out().strip()) / 1_000_000);
    }

    /** Per test, so the reason is printed for each skipped test (SkipReasons). */
    @BeforeEach
    void skipWhereTheImageCannotBeTested() {
        assumeTrue(unusable.isEmpty(), () -> unusable.orElseThrow() + ", so the worker image cannot be tested here");
    }

    @AfterAll
    static void removeEnvFile() throws IOException {
        if (envFile != null) {
            Files.deleteIfExists(envFile);
        }
    }

    @Test
    void theImageCarriesAPgbackrestForPostgres17AndLeavesThePostgresSetupOfTheBaseImage() throws IOException {
        Result version = docker(Duration.ofSeconds(30), "run", "--rm", "--entrypoint", "pgbackrest", IMAGE, "version");
        assertOk(version, "pgbackrest version in " + IMAGE);
        Matcher m = Pattern.compile("pgBackRest (\\d+)\\.(\\d+)").matcher(version.out());
        assertTrue(m.find(), version.out());
        int major = Integer.parseInt(m.group(1));
        int minor = Integer.parseInt(m.group(2));
        assertTrue(major > 2 || major == 2 && minor >= 52, m.group() + ": PostgreSQL 17 needs pgBackRest 2.52 or newer");
        report("%s has %s", IMAGE, version.out().strip());

        // The package may pull in PostgreSQL's Debian tooling: no cluster of its own, the same package sources.
        String setup = "find /var/lib/postgresql /etc/postgresql -printf '%p %u %g %m\\n' 2>/dev/null | sort;"
                + " ls /etc/apt/sources.list.d; ls /var/lib/apt/lists | grep -v '^lock$' | grep -v '^partial$'; true";
        Result base = docker(Duration.ofSeconds(30), "run", "--rm", "--entrypoint", "sh", BASE_IMAGE, "-c", setup);
        Result image = docker(Duration.ofSeconds(30), "run", "--rm", "--entrypoint", "sh", IMAGE, "-c", setup);
        assertOk(image, "listing the PostgreSQL setup of " + IMAGE);
        assertEquals(base.out(), image.out(), "PostgreSQL's directories and the package sources, as in " + BASE_IMAGE);

        List<String> scripts = new ArrayList<>();
        try (Stream<Path> files = Files.list(ROOT.resolve("node"))) {
            files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".sh")).sorted().forEach(scripts::add);
        }
        StringBuilder check = new StringBuilder("true");
        scripts.forEach(s -> check.append(" && test -x /opt/citus-node/").append(s));
        assertOk(docker(Duration.ofSeconds(30), "run", "--rm", "--entrypoint", "sh", IMAGE, "-c", check.toString()),
                "every top-level node script is in /opt/citus-node and executable: " + scripts);
    }

    @Test
    void aNodeContainerWithTheBucketsVariablesArchivesItsWalIntoTheBucket() throws Exception {
        String gateway = docker(Duration.ofSeconds(10), "network", "inspect", "bridge", "--format",
                "{{range .IPAM.Config}}{{.Gateway}}{{end}}").out().strip();
        assumeTrue(gateway.matches("\\d+\\.\\d+\\.\\d+\\.\\d+"), "the engine's bridge network names no IPv4 gateway ("
                + gateway + "), so a container cannot reach a server on this machine");
        Path s3Dir = Files.createTempDirectory("citus-image-s3-");
        try (TestS3Server s3 = TestS3Server.start(s3Dir, gateway, List.of(HOST_NAME))) {
            s3.createBucket(BUCKET);
            docker(Duration.ofSeconds(60), "rm", "-f", "-v", CONTAINER);
            try {
                assertOk(docker(Duration.ofSeconds(60), "run", "-d", "--name", CONTAINER,
                        "--add-host", HOST_NAME + ":host-gateway", "--shm-size", "256m", "--memory", "1g",
                        "-e", "POSTGRES_PASSWORD=" + PASSWORD, "-e", "NODE_IDENTITY=worker1",
                        "-e", "BUCKET=" + BUCKET,
                        "-e", "ACCESS_KEY_ID=" + TestS3Server.ACCESS_KEY_ID,
                        "-e", "SECRET_ACCESS_KEY=" + TestS3Server.SECRET_ACCESS_KEY,
                        "-e", "REGION=" + TestS3Server.REGION,
                        "-e", "ENDPOINT=" + s3.endpoint(HOST_NAME),
                        "-e", "BACKUP_S3_URI_STYLE=path",
                        "-e", "BACKUP_CA_FILE=" + CA_IN_CONTAINER,
                        "-e", "BACKUP_STANZA=" + STANZA,
                        "-v", s3.caFile() + ":" + CA_IN_CONTAINER + ":ro",
                        IMAGE), "docker run " + IMAGE);
                long starting = System.nanoTime();
                awaitInContainer(Duration.ofMinutes(3), "the node healthy",
                        () -> "healthy".equals(inspect("{{.State.Health.Status}}")));
                awaitInContainer(Duration.ofSeconds(90), "stanza '" + STANZA + "' ready in the node's log",
                        () -> logs().contains("stanza '" + STANZA + "' ready"));
                report("node healthy with its stanza in the bucket in %d s", seconds(starting));
                assertEquals("on", psql("show archive_mode"));

                psql("create table kept (id int primary key)");
                psql("insert into kept select generate_series(1, 10000)");
                String segment = psql("select pg_walfile_name(pg_switch_wal())");
                long archiving = System.nanoTime();
                awaitInContainer(Duration.ofSeconds(120), segment + " archived", () -> "t".equals(psql(
                        "select coalesce(last_archived_wal >= '" + segment + "', false) from pg_stat_archiver")));
                String archiver = psql("select archived_count || ' archived, ' || failed_count || ' failed (last '"
                        + " || coalesce(last_failed_wal, 'none') || '), last archived ' || last_archived_wal"
                        + " from pg_stat_archiver");
                report("%s archived in %d s (%s)", segment, seconds(archiving), archiver);
                // The first boot's initialization runs before the stanza exists, so an attempt then may have failed;
                // what counts is that the archiver's latest outcome is a success.
                assertEquals("t", psql("select archived_count > 0 and (last_failed_time is null"
                        + " or last_failed_time < last_archived_time) from pg_stat_archiver"),
                        "pg_stat_archiver: " + archiver + "\n" + logs());

                List<Path> objects;
                try (Stream<Path> files = Files.walk(s3.bucketDirectory(BUCKET))) {
                    objects = files.filter(Files::isRegularFile).toList();
                }
                assertTrue(objects.stream().anyMatch(p -> p.getFileName().toString().startsWith(segment + "-")
                        && p.toString().contains("/archive/" + STANZA + "/")),
                        segment + " is an object of the bucket: " + objects);

                Matcher config = Pattern.compile("--config=(\\S+)").matcher(psql("show archive_command"));
                assertTrue(config.find(), "archive_command names pgBackRest's configuration");
                Result check = docker(Duration.ofMinutes(3), "exec", "-u", "postgres", CONTAINER, "pgbackrest",
                        "--config=" + config.group(1), "--stanza=" + STANZA, "check");
                assertOk(check, "pgbackrest check in the container");

                assertFalse(logs().contains(TestS3Server.SECRET_ACCESS_KEY), "the bucket's secret is in no log line");
            } catch (AssertionError | RuntimeException e) {
                report("container log:%n%s%nS3Proxy log:%n%s", logs(), s3.log());
                throw e;
            } finally {
                docker(Duration.ofSeconds(90), "rm", "-f", "-v", CONTAINER);
            }
        } finally {
            deleteTree(s3Dir);
        }
    }

    /** Polls the condition; fails at once, with the node's log, when the container has stopped. */
    private static void awaitInContainer(Duration timeout, String what, BooleanSupplier condition) {
        Await.until(timeout, what, () -> {
            if (!"true".equals(inspect("{{.State.Running}}"))) {
                throw new AssertionError("the container stopped (exit code " + inspect("{{.State.ExitCode}}")
                        + ") before " + what);
            }
            return condition.getAsBoolean();
        });
    }

    private static String inspect(String format) {
        return docker(Duration.ofSeconds(10), "inspect", "--format", format, CONTAINER).out().strip();
    }

    private static String logs() {
        return docker(Duration.ofSeconds(20), "logs", CONTAINER).out();
    }

    /** One statement through psql in the container, over its Unix socket; the first column of the first row. */
    private static String psql(String sql) {
        Result result = docker(Duration.ofSeconds(30), "exec", "-u", "postgres", CONTAINER, "psql", "-X", "-A", "-t",
                "-q", "-v", "ON_ERROR_STOP=1", "-d", "postgres", "-c", sql);
        if (!result.ok()) {
            throw new IllegalStateException(sql + ": " + result.out());
        }
        return result.out().strip();
    }

    private static Result docker(Duration timeout, String... arguments) {
        List<String> command = new ArrayList<>(List.of("docker"));
        command.addAll(List.of(arguments));
        return ComposeProject.run(timeout, Map.of(), ROOT, command.toArray(String[]::new));
    }

    private static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    private static void assertOk(Result result, String what) {
        assertEquals(0, result.code(), what + " failed:\n" + result.out());
    }

    private static long seconds(long since) {
        return (System.nanoTime() - since) / 1_000_000_000L;
    }

    private static void report(String format, Object... arguments) {
        System.out.println("image-backup: " + String.format(format, arguments));
    }
}
