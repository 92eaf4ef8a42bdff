package org.citusrailway.template.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;
import org.citusrailway.testkit.node.NodeUnderTest;
import org.citusrailway.testkit.node.NodeUnderTest.NodeBinaries;
import org.citusrailway.testkit.node.NodeUnderTest.Result;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The settings derived from the container's memory limit (node/lib/memory.sh), checked on a running server.
 * One volume is booted again and again with different fake cgroup files, as a redeploy on another plan would.
 */
class NodeMemorySizingTest {
    private static final long MIB = 1L << 20;
    private static NodeUnderTest node;

    @BeforeAll
    static void createVolume() {
        node = new NodeUnderTest(NodeBinaries.best(), "worker");
    }

    @AfterAll
    static void removeVolume() {
        node.close();
    }

    private static void boot(Consumer<NodeUnderTest> limit, Runnable checks) {
        limit.accept(node);
        node.start();
        try {
            checks.run();
        } finally {
            node.stop();
        }
    }

    @Test
    void limitsOf512MiB1GiB8GiBAndNoneGiveTheDocumentedSettings() {
        boot(n -> n.memoryLimitV2(512 * MIB), () -> expect(512, "40", "128MB", "384MB", "1459kB", "16MB"));
        boot(n -> n.memoryLimitV1(1024 * MIB), () -> expect(1024, "51", "256MB", "768MB", "3855kB", "32MB"));
        boot(n -> n.memoryLimitV2(8192 * MIB), () -> expect(8192, "400", "2GB", "6GB", "4254kB", "256MB"));
        long host = hostMemoryMib();
        Runnable hostSized = () -> {
            assertEquals(Long.toString(Math.max(40, Math.min(400, host / 20))), node.show("max_connections"));
            assertEquals(Long.toString(host / 4), node.query(
                    "select setting::bigint * 8 / 1024 from pg_settings where name = 'shared_buffers'"));
            assertWithinLimit(host);
            assertTrue(node.output().contains("citus-node: warning [no-memory-limit]: the container has no memory limit,"
                    + " so this node sizes itself for all " + host + " MiB of the host"), node.output());
        };
        boot(NodeUnderTest::noMemoryLimitV2, hostSized);
        // cgroup v1 without a limit reports a huge number.
        boot(n -> n.memoryLimitV1(9223372036854771712L), hostSized);
    }

    private static void expect(long limitMib, String connections, String sharedBuffers, String cache, String workMem,
            String maintenance) {
        assertEquals(connections, node.show("max_connections"));
        assertEquals(sharedBuffers, node.show("shared_buffers"));
        assertEquals(cache, node.show("effective_cache_size"));
        assertEquals(workMem, node.show("work_mem"));
        assertEquals(maintenance, node.show("maintenance_work_mem"));
        assertWithinLimit(limitMib);
        assertTrue(node.output().contains("(memory limit " + limitMib + " MiB,"), node.output());
        assertFalse(node.output().contains("[no-memory-limit]"), node.output());
    }

    /**
     * The server's real shared memory plus, per connection, 4 MiB private memory and two work_mem, plus four
     * maintenance_work_mem (one VACUUM/CREATE INDEX and three autovacuum workers) fit in the limit.
     */
    private static void assertWithinLimit(long limitMib) {
        long sharedMib = Long.parseLong(node.query("select setting from pg_settings where name = 'shared_memory_size'"));
        long connections = Long.parseLong(node.show("max_connections"));
        long workMemKb = Long.parseLong(node.query("select setting from pg_settings where name = 'work_mem'"));
        long maintenanceKb = Long.parseLong(
                node.query("select setting from pg_settings where name = 'maintenance_work_mem'"));
        long needMib = sharedMib + 4 * maintenanceKb / 1024 + connections * 4 + connections * 2 * workMemKb / 1024;
        assertTrue(needMib <= limitMib, "needs " + needMib + " MiB of " + limitMib + " MiB (shared memory "
                + sharedMib + " MiB)");
    }

    @Test
    void operatorVariablesWinAndAnOvercommitIsWarnedAbout() {
        node.env("POSTGRES_MAX_CONNECTIONS", "77").env("POSTGRES_SHARED_BUFFERS", "64MB")
                .env("POSTGRES_EFFECTIVE_CACHE_SIZE", "1GB").env("POSTGRES_WORK_MEM", "2MB")
                .env("POSTGRES_MAINTENANCE_WORK_MEM", "48MB");
        try {
            boot(n -> n.memoryLimitV2(1024 * MIB), () -> {
                assertEquals("77", node.show("max_connections"));
                assertEquals("64MB", node.show("shared_buffers"));
                assertEquals("1GB", node.show("effective_cache_size"));
                assertEquals("2MB", node.show("work_mem"));
                assertEquals("48MB", node.show("maintenance_work_mem"));
                assertTrue(!node.output().contains("[memory-overcommitted]"), node.output());
            });
            node.env("POSTGRES_MAX_CONNECTIONS", "500").env("POSTGRES_WORK_MEM", "64MB");
            boot(n -> n.memoryLimitV2(512 * MIB), () -> {
                assertEquals("500", node.show("max_connections"));
                assertTrue(node.output().contains("citus-node: warning [memory-overcommitted]: "), node.output());
            });
        } finally {
            for (String name : List.of("POSTGRES_MAX_CONNECTIONS", "POSTGRES_SHARED_BUFFERS",
                    "POSTGRES_EFFECTIVE_CACHE_SIZE", "POSTGRES_WORK_MEM", "POSTGRES_MAINTENANCE_WORK_MEM")) {
                node.withoutEnv(name);
            }
        }
    }

    @Test
    void alterSystemWinsOverTheGeneratedSettings() {
        node.env("POSTGRES_WORK_MEM", "2MB");
        try {
            boot(n -> n.memoryLimitV2(1024 * MIB), () -> node.execute("alter system set work_mem = '7MB'",
                    "alter system set max_connections = 33",
                    "alter system set shared_preload_libraries = 'pg_stat_statements'"));
            boot(n -> n.memoryLimitV2(1024 * MIB), () -> {
                assertEquals("7MB", node.show("work_mem"));
                assertEquals("33", node.show("max_connections"));
                assertTrue(node.output().contains("citus-node: warning [preload-without-citus]: "), node.output());
                node.execute("alter system reset all");
            });
            boot(n -> n.memoryLimitV2(1024 * MIB),
                    () -> assertFalse(node.output().contains("[preload-without-citus]"), node.output()));
        } finally {
            node.withoutEnv("POSTGRES_WORK_MEM");
        }
    }

    @ParameterizedTest
    @CsvSource({
        "POSTGRES_SHARED_BUFFERS, lots, invalid-memory-setting",
        "POSTGRES_WORK_MEM, 64, invalid-memory-setting",
        "POSTGRES_EFFECTIVE_CACHE_SIZE, 1.5GB, invalid-memory-setting",
        "POSTGRES_MAINTENANCE_WORK_MEM, 64mb, invalid-memory-setting",
        "POSTGRES_MAX_CONNECTIONS, many, invalid-max-connections",
        "POSTGRES_MAX_CONNECTIONS, 0, invalid-max-connections",
    })
    void aBadOverrideIsRefusedWithOneLine(String name, String value, String id) throws Exception {
        try (NodeUnderTest refused = new NodeUnderTest(NodeBinaries.best(), "worker").env(name, value)) {
            Result result = refused.runToExit();
            assertEquals(2, result.exitCode(), result.stderr());
            assertEquals(1, result.stderrLines().size(), result.stderr());
            assertTrue(result.stderr().startsWith("citus-node: error [" + id + "]: " + name + "='" + value + "'"),
                    result.stderr());
            assertTrue(!Files.exists(refused.pgdata), "nothing is created");
        }
    }

    private static long hostMemoryMib() {
        try {
            return Files.readAllLines(Path.of("/proc/meminfo")).stream().filter(l -> l.startsWith("MemTotal:"))
                    .map(l -> Long.parseLong(l.replaceAll("\\D", ""))).findFirst().orElseThrow() / 1024;
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
