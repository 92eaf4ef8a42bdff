package org.citusrailway.template;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.citusrailway.testkit.Await;
import org.citusrailway.testkit.ComposeProject;
import org.citusrailway.testkit.ComposeProject.Result;
import org.citusrailway.testkit.DockerEngine;
import org.citusrailway.testkit.Sql;
import org.junit.jupiter.api.Test;

/**
 * The README's local flow in a real Docker engine, with the three images built from this repository's Dockerfiles
 * as they are: compose up, the smoke test, worker3 added and the data rebalanced onto it, SIGKILL of a worker and
 * of the coordinator while a writer commits multi-shard batches, down and up again. Skips within seconds where
 * there is no engine or no base image (nothing is pulled).
 */
class ComposeClusterTest {
    private static final Path ROOT = ProjectFiles.root();
    private static final List<String> BASE_IMAGES = List.of("citusdata/citus:13.2.0", "eclipse-temurin:25-jdk",
            "debian:bookworm-slim");
    private static final String PROJECT = "citus-compose-test";
    private static final String PASSWORD = "composeTestPassword1";

    private Path envFile;
    private ComposeProject project;

    @Test
    void theReadmeFlowWorksInARealEngineAndSurvivesKills() throws Exception {
        Optional<String> unusable = DockerEngine.unusableBecause(BASE_IMAGES);
        assumeTrue(unusable.isEmpty(), () -> unusable.orElseThrow() + ", so the images of this repository cannot be"
                + " built and run here");
        envFile = Files.createTempFile("compose-test-", ".env");
        Files.writeString(envFile, "POSTGRES_PASSWORD=" + PASSWORD + "\nNODE_MEMORY_LIMIT=1g\n");
        project = new ComposeProject(PROJECT, envFile, ROOT);
        try {
            compose(Duration.ofMinutes(2), "down", "-v", "--remove-orphans");
            long building = System.nanoTime();
            assertOk(compose(Duration.ofMinutes(25), "build"), "docker compose build");
            report("images built in %d s: %s", seconds(building), imageSizes());

            long starting = System.nanoTime();
            assertOk(compose(Duration.ofMinutes(5), "up", "-d", "--wait"), "docker compose up -d --wait");
            smokeTest(2);
            report("up to two active workers and the smoke test in %d s", seconds(starting));
            Result plain = run(Duration.ofSeconds(20), Map.of("PGPASSWORD", PASSWORD), "psql", "-X", "-c", "select 1",
                    "host=127.0.0.1 port=5432 user=postgres dbname=postgres sslmode=disable");
            assertTrue(plain.code() != 0 && plain.out().contains("no encryption"),
                    "a login without TLS is refused:\n" + plain.out());

            Files.writeString(envFile, "COMPOSE_PROFILES=worker3\n", StandardOpenOption.APPEND);
            long scaling = System.nanoTime();
            assertOk(compose(Duration.ofMinutes(5), "up", "-d", "--wait"), "docker compose up -d with worker3");
            smokeTest(3);
            Await.until(Duration.ofMinutes(5), "events rebalanced onto worker3", () -> "0".equals(query(
                    "select count(*) from pg_dist_background_job where state not in ('finished', 'cancelled', 'failed')"))
                    && !"0".equals(query("select count(*) from citus_shards where table_name = 'events'::regclass"
                            + " and nodename = 'worker3.railway.internal'")));
            report("worker3 active and events rebalanced onto it in %d s", seconds(scaling));
            String events = query("select count(*) from events");

            for (String statement : BatchWriters.TABLES) {
                execute(statement);
            }
            BatchWriters writers = new BatchWriters(ComposeClusterTest::connect);
            for (String victim : List.of("worker1", "coordinator")) {
                killDuringWrites(victim, writers);
            }

            Path coordinatorLog = Files.createTempFile("compose-test-coordinator-", ".log");
            Process following = new ProcessBuilder(project.command("logs", "-f", "-t", "--since", "30s", "coordinator")).redirectErrorStream(true)
                    .redirectOutput(coordinatorLog.toFile()).start();
            long restarting = System.nanoTime();
            assertOk(compose(Duration.ofMinutes(3), "down"), "docker compose down");
            Result left = run(Duration.ofSeconds(20), "docker", "ps", "-q", "--filter", "label=com.docker.compose.project="
                    + PROJECT);
            assertEquals("", left.out().strip(), "docker compose down leaves no container running (worker3 too)");
            long downSeconds = seconds(restarting);
            String stops = run(Duration.ofSeconds(20), "docker", "events", "--since", Long.toString(
                    System.currentTimeMillis() / 1000 - downSeconds - 2), "--until", Long.toString(
                    System.currentTimeMillis() / 1000 + 1), "--filter", "event=die", "--filter", "label="
                    + "com.docker.compose.project=" + PROJECT, "--format", "{{.Actor.Attributes.name}} at {{.Time}}"
                    + " exit {{.Actor.Attributes.exitCode}}").out().strip().replace('\n', ';');
            report("docker compose down in %d s (%s)", downSeconds, stops);
            following.destroy();
            if (downSeconds > 20) {
                report("coordinator log during the slow down:%n%s", Files.readString(coordinatorLog));
            }
            Files.deleteIfExists(coordinatorLog);
            assertOk(compose(Duration.ofMinutes(5), "up", "-d", "--wait"), "docker compose up -d after down");
            smokeTest(3);
            report("down and up again, three active workers, in %d s", seconds(restarting));
            assertEquals(Long.toString(Long.parseLong(events) + 10000), query("select count(*) from events"),
                    "events kept across down/up (plus the smoke test's second insert)");
            writers.assertCommittedBatchesAreThere(ComposeClusterTest::query);

            String logs = compose(Duration.ofMinutes(1), "logs", "--no-color").out();
            assertFalse(logs.contains(PASSWORD), "the password appears in no service's log");
            assertFalse(logs.contains("password-sync-failed"), logs);
        } finally {
            compose(Duration.ofMinutes(3), "down", "-v", "--remove-orphans");
            Files.deleteIfExists(envFile);
        }
    }

    /** Writers commit batches across every shard; the container is SIGKILLed and must come back by itself. */
    private void killDuringWrites(String service, BatchWriters writers) throws Exception {
        writers.startAndAwait(3, 20);
        String container = compose(Duration.ofSeconds(20), "ps", "-q", service).out().strip();
        // SIGKILL to the container's first process, from outside, as an OOM kill or a crash does: the kernel ends
        // every process in it and the restart policy brings it back (`docker kill` would count as a deliberate stop).
        String pid = inspect(container, "{{.State.Pid}}");
        String startedAt = inspect(container, "{{.State.StartedAt}}");
        long killed = System.nanoTime();
        assertOk(run(Duration.ofSeconds(30), "kill", "-9", pid), "kill -9 of " + service + "'s first process");
        Await.until(Duration.ofMinutes(3), service + " restarted and healthy again after SIGKILL",
                () -> !startedAt.equals(inspect(container, "{{.State.StartedAt}}"))
                        && "healthy".equals(inspect(container, "{{.State.Health.Status}}")));
        long back = seconds(killed);
        Thread.sleep(2000);
        writers.stop();
        String restarts = inspect(container, "{{.RestartCount}}");
        assertEquals("1", restarts, service + " came back with one restart, not a restart loop");
        Await.until(Duration.ofMinutes(2), "prepared transactions resolved", () -> {
            query("select recover_prepared_transactions()");
            return "0".equals(query("select count(*) from pg_dist_transaction"));
        });
        writers.assertCommittedBatchesAreThere(ComposeClusterTest::query);
        report("%s SIGKILLed during writes: healthy again in %d s, restart count %s, %d batches committed so far,"
                + " all there", service, back, restarts, writers.committed());
    }

    private static String inspect(String container, String format) {
        return run(Duration.ofSeconds(10), "docker", "inspect", "--format", format, container).out().strip();
    }

    private void smokeTest(int workers) {
        Result smoke = run(Duration.ofMinutes(4), Map.of("POSTGRES_PASSWORD", PASSWORD, "EXPECTED_WORKERS",
                Integer.toString(workers)), ROOT.resolve("scripts/smoke-test.sh").toString());
        assertOk(smoke, "scripts/smoke-test.sh with " + workers + " workers");
        assertTrue(smoke.out().contains("smoke-test: OK"), smoke.out());
    }

    private String imageSizes() {
        StringBuilder sizes = new StringBuilder();
        for (String image : List.of("citus-railway/coordinator:local", "citus-railway/worker:local",
                "citus-railway/registrar:local")) {
            String bytes = run(Duration.ofSeconds(10), "docker", "image", "inspect", "--format", "{{.Size}}", image)
                    .out().strip();
            sizes.append(image).append(' ').append(Long.parseLong(bytes) / 1_000_000).append(" MB; ");
        }
        return sizes.toString();
    }

    private static Connection connect() throws SQLException {
        return ComposeProject.connectCoordinator(PASSWORD);
    }

    /** Statements on the coordinator, a connection each. */
    private static final Sql COORDINATOR = Sql.on(ComposeClusterTest::connect);

    private static void execute(String sql) {
        COORDINATOR.execute(sql);
    }

    private static String query(String sql) {
        return COORDINATOR.value(sql);
    }

    private Result compose(Duration timeout, String... arguments) {
        return project.compose(timeout, arguments);
    }

    private static Result run(Duration timeout, String... command) {
        return run(timeout, Map.of(), command);
    }

    private static Result run(Duration timeout, Map<String, String> environment, String... command) {
        return ComposeProject.run(timeout, environment, ROOT, command);
    }

    private static void assertOk(Result result, String what) {
        assertEquals(0, result.code(), what + " failed:\n" + result.out());
    }

    private static long seconds(long since) {
        return (System.nanoTime() - since) / 1_000_000_000L;
    }

    private static void report(String format, Object... arguments) {
        System.out.println("compose: " + String.format(format, arguments));
    }

}
