package org.citusrailway.registrar;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.citusrailway.testkit.Await;
import org.citusrailway.testkit.LocalPostgres;
import org.citusrailway.testkit.PostgresBinaries;
import org.citusrailway.testkit.TestHosts;
import org.citusrailway.testkit.registrar.RegistrarProcess;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Main as a real child process ({@code java -cp <test class path> org.citusrailway.registrar.Main}; surefire runs
 * before the jar is packaged): exit codes, stderr for configuration errors, SIGTERM handling, no password in output.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ProcessTest {
    private static final String PASSWORD = "Process-Test-Secret-77";

    private LocalPostgres coordinator;

    @BeforeAll
    void start() {
        coordinator = LocalPostgres.builder(PostgresBinaries.embedded()).password(PASSWORD).start();
        TestHosts.map("coordinator.proc.internal", "127.0.0.1");
    }

    @AfterAll
    void stop() {
        if (coordinator != null) {
            coordinator.close();
        }
    }

    /** Main as a child JVM with a 32 MB heap. */
    private static RegistrarProcess launch(Map<String, String> env) {
        return RegistrarProcess.fromClassPath().jvmOptions(List.of("-XX:+UseSerialGC", "-Xmx32m",
                "-XX:TieredStopAtLevel=1")).env(env).start();
    }

    @Test
    void badConfigurationExitsWithTwoAndOneLineOnStderr() throws Exception {
        try (RegistrarProcess p = launch(Map.of("POSTGRES_PASSWORD", PASSWORD, "SCAN_INTERVAL", "-1s"))) {
            assertTrue(p.waitFor(Duration.ofSeconds(20)));
            assertEquals(2, p.exitValue());
            List<String> lines = p.stderr().lines().toList();
            assertEquals(List.of("config-invalid: SCAN_INTERVAL: \"-1s\" is negative"), lines);
            assertEquals("", p.stdout());
        }
        try (RegistrarProcess p = launch(Map.of())) {
            assertTrue(p.waitFor(Duration.ofSeconds(20)));
            assertEquals(2, p.exitValue());
            assertEquals(List.of("config-invalid: POSTGRES_PASSWORD: is required but not set"),
                    p.stderr().lines().toList());
        }
    }

    @Test
    void sigtermWhileLeadingExitsZeroWithinFiveSeconds() throws Exception {
        sigterm(Map.of("COORDINATOR_PORT", Integer.toString(coordinator.port())), "leader-acquired");
    }

    @Test
    void sigtermWhileTheCoordinatorIsDownExitsZeroWithinFiveSeconds() throws Exception {
        // Nothing listens: the loop is in connection retries and backoff.
        sigterm(Map.of("COORDINATOR_PORT", Integer.toString(PostgresIntegrationTest.freePort())),
                "coordinator-unreachable");
    }

    @Test
    void sigtermWhileAStatementHangsExitsZeroWithinFiveSeconds() throws Exception {
        // An uncommitted CREATE SCHEMA elsewhere makes the registrar's own CREATE SCHEMA IF NOT EXISTS wait on the
        // server: a statement in flight, with timeouts far beyond the shutdown budget.
        coordinator.execute("postgres", "drop schema if exists citus_registrar cascade");
        try (var c = coordinator.connect(); var s = c.createStatement()) {
            c.setAutoCommit(false);
            s.execute("create schema citus_registrar");
            sigterm(Map.of("COORDINATOR_PORT", Integer.toString(coordinator.port()), "LOCK_TIMEOUT", "1m",
                    "STATEMENT_TIMEOUT", "1m"), "leader-acquired", () -> {
                        try (var rs = s.executeQuery("select count(*) from pg_stat_activity where application_name ="
                                + " 'citus-registrar' and wait_event_type = 'Lock'")) {
                            return rs.next() && rs.getInt(1) == 1;
                        } catch (java.sql.SQLException e) {
                            throw new IllegalStateException(e);
                        }
                    });
            c.rollback();
        }
    }

    private void sigterm(Map<String, String> extra, String awaitEvent) throws Exception {
        sigterm(extra, awaitEvent, () -> true);
    }

    private void sigterm(Map<String, String> extra, String awaitEvent, java.util.function.BooleanSupplier ready)
            throws Exception {
        Map<String, String> env = new java.util.HashMap<>(Map.of("POSTGRES_PASSWORD", PASSWORD, "COORDINATOR_HOST",
                "coordinator.proc.internal", "WORKER_HOSTS", "worker1.proc.internal", "WORKER_INDEX_MAX", "0",
                "PORT", "0", "LOG_FORMAT", "json"));
        env.putAll(extra);
        RegistrarProcess p = launch(env);
        try {
            p.awaitEvent(awaitEvent, Duration.ofSeconds(20));
            Await.until(Duration.ofSeconds(10), "ready for SIGTERM", ready);
            Thread.sleep(300);
            long start = System.nanoTime();
            p.terminate(); // SIGTERM
            assertTrue(p.waitFor(Duration.ofSeconds(5)), "exited within 5 s");
            long millis = Duration.ofNanos(System.nanoTime() - start).toMillis();
            assertEquals(0, p.exitValue(), "exit code; stderr: " + p.stderr());
            String output = p.stdout() + p.stderr();
            assertFalse(output.contains(PASSWORD), "password in output:\n" + output);
            assertTrue(output.contains("\"event\":\"registrar-stopping\""), output);
            assertEquals("", p.stderr(), "nothing on stderr");
            assertTrue(millis < 5000, millis + "ms");
        } finally {
            p.kill();
        }
    }
}
