package org.citusrailway.registrar;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.citusrailway.registrar.config.Config;
import org.citusrailway.testkit.registrar.RegistrarProcess;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Bad configurations: each must end with exit code 2 and exactly one stderr line naming the variable, never the
 * password. All go through Main's own validation path in-process; a handful also through a real child JVM.
 */
class BadConfigurationTest {
    private static final String PASSWORD = "Bad-Config-Secret-31";

    /** variable, value (null = unset); POSTGRES_PASSWORD is set unless the case is about it. */
    static Stream<Arguments> badConfigurations() {
        return Stream.of(
                bad("POSTGRES_PASSWORD", null),
                bad("POSTGRES_PASSWORD", ""),
                bad("COORDINATOR_HOST", "bad_host"),
                bad("COORDINATOR_HOST", "-lead.example"),
                bad("COORDINATOR_HOST", "a..b"),
                bad("COORDINATOR_HOST", "localhost"),
                bad("COORDINATOR_HOST", "127.0.0.1"),
                bad("COORDINATOR_PORT", "0"),
                bad("COORDINATOR_PORT", "65536"),
                bad("COORDINATOR_PORT", "54x"),
                bad("WORKER_NAME_PATTERNS", "worker"),
                bad("WORKER_NAME_PATTERNS", "work er{n}"),
                bad("WORKER_NAME_PATTERNS", " , "),
                bad("WORKER_INDEX_MAX", "-1"),
                bad("WORKER_INDEX_MAX", "1001"),
                bad("WORKER_INDEX_MAX", "twenty"),
                bad("PRIVATE_DOMAIN", "railway..internal"),
                bad("WORKER_PORT", "70000"),
                bad("WORKER_HOSTS", "good.example,bad/host"),
                bad("WORKER_HOSTS", "w1:notaport"),
                bad("WORKER_HOSTS", "w1:0"),
                bad("SCAN_INTERVAL", "-2s"),
                bad("SCAN_INTERVAL", "0s"),
                bad("SCAN_INTERVAL", "fast"),
                bad("SCAN_INTERVAL", "2 weeks"),
                bad("READY_CHECK_INTERVAL", "-1s"),
                bad("READY_CHECK_INTERVAL", "10ms"),
                bad("READY_CHECK_INTERVAL", "0"),
                bad("READY_CHECK_INTERVAL", "quick"),
                bad("PORT", "-5"),
                bad("PORT", "http"),
                bad("LOG_FORMAT", "xml"),
                bad("CONNECT_TIMEOUT", "0"),
                bad("DNS_TIMEOUT", "1w"),
                bad("BACKUP_FULL_INTERVAL", "weekly"),
                bad("BACKUP_DIFF_INTERVAL", "30d"),
                bad("STATEMENT_TIMEOUT", "-1"),
                bad("LOCK_TIMEOUT", "soon"),
                bad("PROBE_RETRY_MAX", "-1s"),
                bad("POSTGRES_SSLMODE", "maybe"),
                bad("REBALANCE_ON_JOIN", "yes"),
                bad("REBALANCE_ON_JOIN", "0"),
                bad("REBALANCE_ON_JOIN", "disabled"),
                bad("REBALANCE_ON_JOIN", "true false"));
    }

    /** The cases also run as a child process: one per kind of check. */
    static Stream<Arguments> inChildProcess() {
        return Stream.of(bad("POSTGRES_PASSWORD", null), bad("COORDINATOR_HOST", "localhost"),
                bad("WORKER_HOSTS", "w1:0"), bad("SCAN_INTERVAL", "fast"), bad("READY_CHECK_INTERVAL", "10ms"), bad("REBALANCE_ON_JOIN", "yes"));
    }

    private static Arguments bad(String variable, String value) {
        return Arguments.of(variable, value);
    }

    private static Map<String, String> env(String variable, String value) {
        Map<String, String> env = new HashMap<>(Map.of("POSTGRES_PASSWORD", PASSWORD, "LOG_FORMAT", "json"));
        env.remove(variable);
        if (value != null) {
            env.put(variable, value);
        }
        return env;
    }

    @ParameterizedTest(name = "{0}={1}")
    @MethodSource("badConfigurations")
    void exitsWithTwoAndOneLineNamingTheVariable(String variable, String value) {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        AtomicInteger exit = new AtomicInteger(-1);
        Config config = Main.configuration(env(variable, value), new PrintStream(err, true, StandardCharsets.UTF_8),
                exit::set);
        assertNull(config);
        assertEquals(Main.EXIT_CONFIG, exit.get());
        assertEquals(2, exit.get());
        assertOneLine(variable, err.toString(StandardCharsets.UTF_8));
    }

    @ParameterizedTest(name = "{0}={1}")
    @MethodSource("inChildProcess")
    void childProcessExitsWithTwoAndOneLine(String variable, String value) throws Exception {
        try (RegistrarProcess p = RegistrarProcess.fromClassPath().env(env(variable, value)).start()) {
            assertTrue(p.waitFor(Duration.ofSeconds(20)));
            assertEquals(2, p.exitValue());
            assertOneLine(variable, p.stderr());
            assertEquals("", p.stdout());
        }
    }

    @Test
    void anUnknownArgumentIsRefusedWithTheUsageLine() throws Exception {
        try (RegistrarProcess p = RegistrarProcess.fromClassPath().env(env("PORT", "0")).args(List.of("--help"))
                .start()) {
            assertTrue(p.waitFor(Duration.ofSeconds(20)));
            assertEquals(2, p.exitValue());
            List<String> lines = p.stderr().lines().toList();
            assertEquals(1, lines.size(), lines.toString());
            assertTrue(lines.get(0).startsWith("usage: java -jar registrar.jar [--version | --train]"), lines.get(0));
            assertEquals("", p.stdout());
        }
    }

    @Test
    void versionNeedsNoConfiguration() throws Exception {
        try (RegistrarProcess p = RegistrarProcess.fromClassPath().args(List.of("--version")).start()) {
            assertTrue(p.waitFor(Duration.ofSeconds(20)));
            assertEquals(0, p.exitValue(), p.stderr());
            assertTrue(p.stdout().matches("citus-registrar \\S+\n"), p.stdout());
        }
    }

    private static void assertOneLine(String variable, String stderr) {
        List<String> lines = stderr.lines().toList();
        assertEquals(1, lines.size(), "exactly one line: " + stderr);
        assertTrue(lines.get(0).startsWith("config-invalid: " + variable + ": "), lines.get(0));
        assertFalse(stderr.contains(PASSWORD), "password in output: " + stderr);
    }
}
