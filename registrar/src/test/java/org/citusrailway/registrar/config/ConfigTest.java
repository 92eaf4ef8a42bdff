package org.citusrailway.registrar.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.citusrailway.registrar.name.DnsName;
import org.citusrailway.registrar.name.HostPort;
import org.citusrailway.registrar.report.LogFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ConfigTest {
    private static final String SECRET = "s3cret-Pa55";

    private static Map<String, String> env(String... pairs) {
        Map<String, String> env = new HashMap<>();
        env.put("POSTGRES_PASSWORD", SECRET);
        for (int i = 0; i < pairs.length; i += 2) {
            env.put(pairs[i], pairs[i + 1]);
        }
        return env;
    }

    @Test
    void defaults() {
        Config c = Config.fromEnvironment(env("LOG_FORMAT", "text"));
        assertEquals(new HostPort("coordinator.railway.internal", 5432), c.coordinator());
        assertEquals("postgres", c.user());
        assertEquals(SECRET, c.password());
        assertEquals("postgres", c.database());
        assertEquals(List.of("worker{n}", "worker-{n}", "citus-worker{n}", "citus-worker-{n}"), c.workerNamePatterns());
        assertEquals(20, c.workerIndexMax());
        assertEquals("railway.internal", c.privateDomain());
        assertEquals(5432, c.workerPort());
        assertEquals(List.of(), c.workerHosts());
        assertEquals(Duration.ofSeconds(5), c.scanInterval());
        assertEquals(Duration.ofMillis(250), c.readyCheckInterval());
        assertEquals(8080, c.httpPort());
        assertEquals(LogFormat.TEXT, c.logFormat());
        assertEquals(Duration.ofSeconds(2), c.connectTimeout());
        assertEquals(Duration.ofSeconds(1), c.dnsTimeout());
        assertEquals(Duration.ofSeconds(10), c.statementTimeout());
        assertEquals(Duration.ofSeconds(2), c.lockTimeout());
        assertEquals(Duration.ofSeconds(5), c.probeRetryMax());
        assertEquals(SslMode.REQUIRE, c.sslMode());
        assertTrue(c.rebalanceOnJoin());
        assertEquals(ShardTransferMode.AUTO, c.rebalanceTransferMode());
        assertEquals(new BackupSchedule(Duration.ofDays(7), Duration.ofDays(1), Duration.ofHours(1),
                Duration.ofMinutes(1), 10), c.backupSchedule());
        assertFalse(c.toString().contains(SECRET), c.toString());
    }

    @Test
    void backupScheduleVariablesAreRead() {
        Config c = Config.fromEnvironment(env("BACKUP_FULL_INTERVAL", "1d", "BACKUP_DIFF_INTERVAL", "0",
                "RESTORE_POINT_INTERVAL", "15m", "BACKUP_CHECK_INTERVAL", "30s", "VOLUME_FREE_ALERT_PERCENT", "20"));
        assertEquals(new BackupSchedule(Duration.ofDays(1), Duration.ZERO, Duration.ofMinutes(15),
                Duration.ofSeconds(30), 20), c.backupSchedule());
    }

    @Test
    void everyVariableIsRead() {
        Config c = Config.fromEnvironment(env("COORDINATOR_HOST", "Coord.Example.Internal", "COORDINATOR_PORT", "6432",
                "POSTGRES_USER", "citus", "POSTGRES_DB", "app", "WORKER_NAME_PATTERNS", " node-{n} , ,shard{n}x ",
                "WORKER_INDEX_MAX", "3", "PRIVATE_DOMAIN", "corp.internal", "WORKER_PORT", "6000",
                "WORKER_HOSTS", "extra.example.com, other:7000", "SCAN_INTERVAL", "2s", "READY_CHECK_INTERVAL", "100ms", "PORT", "9090",
                "LOG_FORMAT", "JSON", "CONNECT_TIMEOUT", "1500ms", "DNS_TIMEOUT", "250ms", "STATEMENT_TIMEOUT", "1m",
                "LOCK_TIMEOUT", "3", "PROBE_RETRY_MAX", "10s", "POSTGRES_SSLMODE", "verify-full",
                "REBALANCE_ON_JOIN", "False", "REBALANCE_TRANSFER_MODE", "Block_Writes"));
        assertFalse(c.rebalanceOnJoin());
        assertEquals(ShardTransferMode.BLOCK_WRITES, c.rebalanceTransferMode());
        assertEquals(ShardTransferMode.FORCE_LOGICAL, Config.fromEnvironment(env("REBALANCE_TRANSFER_MODE",
                "force-logical")).rebalanceTransferMode());
        assertEquals(new HostPort("coord.example.internal", 6432), c.coordinator());
        assertEquals("citus", c.user());
        assertEquals("app", c.database());
        assertEquals(List.of("node-{n}", "shard{n}x"), c.workerNamePatterns());
        assertEquals(3, c.workerIndexMax());
        assertEquals("corp.internal", c.privateDomain());
        assertEquals(6000, c.workerPort());
        assertEquals(List.of(new HostPort("extra.example.com", 6000), new HostPort("other", 7000)), c.workerHosts());
        assertEquals(Duration.ofSeconds(2), c.scanInterval());
        assertEquals(Duration.ofMillis(100), c.readyCheckInterval());
        assertEquals(9090, c.httpPort());
        assertEquals(LogFormat.JSON, c.logFormat());
        assertEquals(Duration.ofMillis(1500), c.connectTimeout());
        assertEquals(Duration.ofMillis(250), c.dnsTimeout());
        assertEquals(Duration.ofMinutes(1), c.statementTimeout());
        assertEquals(Duration.ofSeconds(3), c.lockTimeout());
        assertEquals(Duration.ofSeconds(10), c.probeRetryMax());
        assertEquals(SslMode.VERIFY_FULL, c.sslMode());
    }

    @Test
    void blankValuesMeanDefault() {
        Config c = Config.fromEnvironment(env("SCAN_INTERVAL", "", "WORKER_PORT", "  ", "READY_CHECK_INTERVAL", " "));
        assertEquals(Duration.ofSeconds(5), c.scanInterval());
        assertEquals(Duration.ofMillis(250), c.readyCheckInterval());
        assertEquals(5432, c.workerPort());
    }

    @Test
    void jsonLogsOnRailway() {
        assertEquals(LogFormat.JSON, Config.fromEnvironment(env("RAILWAY_ENVIRONMENT", "production")).logFormat());
        assertEquals(LogFormat.JSON, Config.fromEnvironment(env("RAILWAY_SERVICE_ID", "abc")).logFormat());
        assertEquals(LogFormat.TEXT,
                Config.fromEnvironment(env("RAILWAY_SERVICE_ID", "abc", "LOG_FORMAT", "text")).logFormat());
    }

    @ParameterizedTest(name = "{0}={1}")
    @CsvSource(delimiter = '|', value = {
            "COORDINATOR_HOST|bad_host|not allowed in a host name",
            "COORDINATOR_HOST|-lead.example|starting or ending with '-'",
            "COORDINATOR_HOST|a..b|empty label",
            "COORDINATOR_HOST|localhost|loopback",
            "COORDINATOR_PORT|0|out of range",
            "COORDINATOR_PORT|65536|out of range",
            "COORDINATOR_PORT|54x|not a whole number",
            "WORKER_NAME_PATTERNS|worker|no {n} placeholder",
            "WORKER_NAME_PATTERNS|work er{n}|not allowed in a host name",
            "WORKER_INDEX_MAX|-1|out of range",
            "WORKER_INDEX_MAX|twenty|not a whole number",
            "PRIVATE_DOMAIN|railway..internal|empty label",
            "WORKER_PORT|70000|out of range",
            "WORKER_HOSTS|good.example,bad/host|not allowed in a host name",
            "WORKER_HOSTS|w1:notaport|port that is not a number",
            "WORKER_HOSTS|w1:0|out of range",
            "SCAN_INTERVAL|-2s|negative",
            "SCAN_INTERVAL|0s|too short",
            "SCAN_INTERVAL|fast|not a duration",
            "SCAN_INTERVAL|2 weeks|not a duration",
            "READY_CHECK_INTERVAL|-250ms|negative",
            "READY_CHECK_INTERVAL|0|too short",
            "READY_CHECK_INTERVAL|49ms|too short (minimum 50ms)",
            "READY_CHECK_INTERVAL|often|not a duration",
            "PORT|-5|out of range",
            "PORT|http|not a whole number",
            "LOG_FORMAT|xml|not one of json, text",
            "CONNECT_TIMEOUT|0|too short",
            "DNS_TIMEOUT|1w|not a duration",
            "STATEMENT_TIMEOUT|-1|negative",
            "LOCK_TIMEOUT|soon|not a duration",
            "PROBE_RETRY_MAX|-1s|negative",
            "POSTGRES_SSLMODE|maybe|not one of disable, allow, prefer, require, verify-ca, verify-full",
            "REBALANCE_ON_JOIN|yes|not true or false",
            "REBALANCE_ON_JOIN|1|not true or false",
            "REBALANCE_ON_JOIN|off|not true or false",
            "REBALANCE_TRANSFER_MODE|online|\"online\" is not one of auto, force_logical, block_writes",
            "REBALANCE_TRANSFER_MODE|blockwrites|not one of auto, force_logical, block_writes",
            "BACKUP_FULL_INTERVAL|weekly|not a duration",
            "BACKUP_FULL_INTERVAL|5s|too short",
            "BACKUP_DIFF_INTERVAL|8d|not shorter than BACKUP_FULL_INTERVAL",
            "RESTORE_POINT_INTERVAL|-1h|negative",
            "BACKUP_CHECK_INTERVAL|0|too short",
            "VOLUME_FREE_ALERT_PERCENT|95|out of range"})
    void badValuesNameTheVariable(String variable, String value, String problem) {
        ConfigException e = assertThrows(ConfigException.class, () -> Config.fromEnvironment(env(variable, value)));
        assertEquals(variable, e.variable());
        assertTrue(e.getMessage().startsWith(variable + ": "), e.getMessage());
        assertTrue(e.getMessage().contains(problem), e.getMessage());
        assertFalse(e.getMessage().contains("\n"), "one line");
        assertFalse(e.getMessage().contains(SECRET));
        assertEquals(0, e.getStackTrace().length, "no stack trace is ever printed or built");
    }

    @Test
    void passwordIsRequired() {
        ConfigException e = assertThrows(ConfigException.class, () -> Config.fromEnvironment(Map.of()));
        assertEquals("POSTGRES_PASSWORD: is required but not set", e.getMessage());
        assertThrows(ConfigException.class, () -> Config.fromEnvironment(Map.of("POSTGRES_PASSWORD", "")));
    }

    @Test
    void somethingToDiscover() {
        ConfigException e = assertThrows(ConfigException.class,
                () -> Config.fromEnvironment(env("WORKER_NAME_PATTERNS", " , ")));
        assertEquals("WORKER_NAME_PATTERNS", e.variable());
        assertEquals(List.of(new HostPort("w", 5432)),
                Config.fromEnvironment(env("WORKER_NAME_PATTERNS", ",", "WORKER_HOSTS", "w")).workerHosts());
    }

    @Test
    void hostNames() {
        assertEquals(null, DnsName.problem("worker-1.railway.internal"));
        assertEquals(null, DnsName.problem("10.0.0.1"));
        assertEquals(null, DnsName.problem("vm"));
        assertEquals(null, DnsName.problem("trailing.dot."));
        assertTrue(DnsName.problem("a".repeat(64) + ".x").contains("longer than 63"));
        assertTrue(DnsName.problem(("abcdefghi.").repeat(26)).contains("longer than 253"));
        assertTrue(DnsName.problem("").contains("empty"));
        assertEquals("worker1.railway.internal", DnsName.normalize("Worker1.Railway.Internal."));
    }
}
