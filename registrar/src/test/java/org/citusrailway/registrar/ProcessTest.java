package org.citusrailway.registrar;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.citusrailway.testkit.Await;
import org.citusrailway.testkit.LocalPostgres;
import org.citusrailway.testkit.PostgresBinaries;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Main as a real child process ({@code java -cp <test class path> org.citusrailway.registrar.Main}; surefire runs
 * before the jar is packaged): exit codes, stderr for configuration errors, SIGTERM handling, no password in output.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ProcessTest {
    private static final String PASSWORD = "Process-Test-Secret-77";

    private LocalPostgres coordinator;
    @TempDir
    Path dir;

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

    private Process launch(Map<String, String> env, Path out, Path err) throws IOException {
        String classpath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:+UseSerialGC", "-Xmx32m", "-XX:TieredStopAtLevel=1",
                "-Djdk.net.hosts.file=" + TestHosts.file(), "-cp", classpath, "org.citusrailway.registrar.Main"));
        ProcessBuilder pb = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile());
        pb.environment().keySet().removeIf(k -> k.startsWith("POSTGRES") || k.startsWith("RAILWAY") || k.startsWith("WORKER")
                || k.startsWith("COORDINATOR") || k.equals("PORT") || k.equals("LOG_FORMAT") || k.equals("SCAN_INTERVAL")
                || k.equals("READY_CHECK_INTERVAL"));
        pb.environment().putAll(env);
        return pb.start();
    }

    @Test
    void badConfigurationExitsWithTwoAndOneLineOnStderr() throws Exception {
        Path out = dir.resolve("out");
        Path err = dir.resolve("err");
        Process p = launch(Map.of("POSTGRES_PASSWORD", PASSWORD, "SCAN_INTERVAL", "-1s"), out, err);
        assertTrue(p.waitFor(20, TimeUnit.SECONDS));
        assertEquals(2, p.exitValue());
        List<String> lines = Files.readAllLines(err);
        assertEquals(List.of("config-invalid: SCAN_INTERVAL: \"-1s\" is negative"), lines);
        assertEquals("", Files.readString(out));

        p = launch(Map.of(), out, err);
        assertTrue(p.waitFor(20, TimeUnit.SECONDS));
        assertEquals(2, p.exitValue());
        assertEquals(List.of("config-invalid: POSTGRES_PASSWORD: is required but not set"), Files.readAllLines(err));
    }

    @Test
    void sigtermWhileLeadingExitsZeroWithinFiveSeconds() throws Exception {
        sigterm(Map.of("COORDINATOR_PORT", Integer.toString(coordinator.port())), "\"event\":\"leader-acquired\"");
    }

    @Test
    void sigtermWhileTheCoordinatorIsDownExitsZeroWithinFiveSeconds() throws Exception {
        // Nothing listens: the loop is in connection retries and backoff.
        sigterm(Map.of("COORDINATOR_PORT", Integer.toString(PostgresIntegrationTest.freePort())),
                "\"event\":\"coordinator-unreachable\"");
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
                    "STATEMENT_TIMEOUT", "1m"), "\"event\":\"leader-acquired\"", () -> {
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

    private void sigterm(Map<String, String> extra, String awaitLine) throws Exception {
        sigterm(extra, awaitLine, () -> true);
    }

    private void sigterm(Map<String, String> extra, String awaitLine, java.util.function.BooleanSupplier ready)
            throws Exception {
        Path out = dir.resolve("out-" + System.nanoTime());
        Path err = dir.resolve("err-" + System.nanoTime());
        Map<String, String> env = new java.util.HashMap<>(Map.of("POSTGRES_PASSWORD", PASSWORD, "COORDINATOR_HOST",
                "coordinator.proc.internal", "WORKER_HOSTS", "worker1.proc.internal", "WORKER_INDEX_MAX", "0",
                "PORT", "0", "LOG_FORMAT", "json"));
        env.putAll(extra);
        Process p = launch(env, out, err);
        try {
            Await.until(Duration.ofSeconds(20), awaitLine + " in output", () -> read(out).contains(awaitLine));
            Await.until(Duration.ofSeconds(10), "ready for SIGTERM", ready);
            Thread.sleep(300);
            long start = System.nanoTime();
            p.destroy(); // SIGTERM
            assertTrue(p.waitFor(5, TimeUnit.SECONDS), "exited within 5 s");
            long millis = Duration.ofNanos(System.nanoTime() - start).toMillis();
            assertEquals(0, p.exitValue(), "exit code; stderr: " + read(err));
            String output = read(out) + read(err);
            assertFalse(output.contains(PASSWORD), "password in output:\n" + output);
            assertTrue(output.contains("\"event\":\"registrar-stopping\""), output);
            assertEquals("", read(err), "nothing on stderr");
            assertTrue(millis < 5000, millis + "ms");
        } finally {
            p.destroyForcibly();
        }
    }

    private static String read(Path file) {
        try {
            return Files.exists(file) ? Files.readString(file, StandardCharsets.UTF_8) : "";
        } catch (IOException e) {
            return "";
        }
    }
}
