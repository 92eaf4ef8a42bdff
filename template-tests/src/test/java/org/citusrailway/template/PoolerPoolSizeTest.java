package org.citusrailway.template;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.util.Map;
import org.citusrailway.testkit.ComposeProject;
import org.citusrailway.testkit.ComposeProject.Result;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * pooler/entrypoint.sh sourced in bash, its pool_size given what a coordinator answers at start: the cgroup v2 and v1
 * forms of a CPU quota, cpuset lists and /proc/cpuinfo counts (this host has one cgroup version; Railway may have the
 * other), the floor, the cap and POOLER_POOL_SIZE. ComposePoolerTest checks the same rule on a real coordinator.
 */
class PoolerPoolSizeTest {
    @ParameterizedTest(name = "{0} {1} {2} {3} {4} POOLER_POOL_SIZE={5}: {6}")
    @CsvSource(delimiter = '|', nullValues = "", textBlock = """
            48 | 200000/100000 | -             | 0-7        | 8  |    | 8  | 4 per CPU of the coordinator's 2 (cgroup v2 cpu.max quota 200000/100000)
            48 | 250000/100000 | -             | -          | 8  |    | 10 | 4 per CPU of the coordinator's 2.5 (cgroup v2 cpu.max quota 250000/100000)
            48 | max/100000    | -             | 0-3        | 8  |    | 16 | 4 per CPU of the coordinator's 4 (cpuset 0-3)
            48 | -             | 150000/100000 | 0-1        | 2  |    | 8  | 4 per CPU of the coordinator's 1.5 (cgroup v1 cpu.cfs_quota_us quota 150000/100000), raised to the floor of 8
            48 | -             | -1/100000     | 0-1        | 2  |    | 8  | 4 per CPU of the coordinator's 2 (cpuset 0-1)
            48 | -             | 800000/100000 | 0-1        | 2  |    | 8  | 4 per CPU of the coordinator's 2 (cpuset 0-1)
            48 | -             | -             | 0-2,5,7-10 | 16 |    | 32 | 4 per CPU of the coordinator's 8 (cpuset 0-2,5,7-10)
            48 | -             | -             | -          | 3  |    | 12 | 4 per CPU of the coordinator's 3 (/proc/cpuinfo)
            48 | -             | -             | -          | 64 |    | 38 | 4 per CPU of the coordinator's 64 (/proc/cpuinfo), capped at its max_connections less 10 kept for direct connections: 38
            48 | -             | -             | -          | 0  |    | 38 | the coordinator's CPUs unknown, so its max_connections less 10 kept for direct connections: 38
            11 | -             | -             | 0          | 2  |    | 2  | 4 per CPU of the coordinator's 1 (cpuset 0), raised to the floor of 8, capped at its max_connections less 10 kept for direct connections: 2
            48 | -             | -             | 0-1        | 2  | 3  | 3  | POOLER_POOL_SIZE=3
            48 | -             | -             | 0-1        | 2  | 08 | 8  | POOLER_POOL_SIZE=8
            48 | -             | -             | 0-1        | 2  | 39 | 38 | POOLER_POOL_SIZE=39, capped at its max_connections less 10 kept for direct connections: 38
            """)
    void thePoolFollowsTheCoordinatorsCpusWithinItsConnections(int connections, String cpuMax, String cfs, String cpuset,
            String cpuinfo, String override, int size, String reason) {
        Result result = ComposeProject.run(Duration.ofSeconds(20), Map.of(), ProjectFiles.root(), "bash", "-c", """
                source pooler/entrypoint.sh
                POOLER_RESERVED_CONNECTIONS=10 POOLER_POOL_SIZE=$6
                COORDINATOR_MAX_CONNECTIONS=$1 COORDINATOR_CPU_MAX=$2 COORDINATOR_CPU_CFS=$3 COORDINATOR_CPUSET=$4
                COORDINATOR_CPUINFO=$5
                pool_size 2>/dev/null
                printf '%s|%s' "$POOL_SIZE" "$POOL_REASON"
                """, "pool-size", Integer.toString(connections), cpuMax, cfs, cpuset, cpuinfo,
                override == null ? "" : override);
        assertEquals(0, result.code(), result.out());
        assertEquals(size + "|" + reason, result.out());
    }

    @ParameterizedTest
    @CsvSource({"0", "-3", "eight", "1.5", "123456", "' 8'"})
    void aPoolSizeThatIsNotAWholeNumberFromOneStopsThePoolerWithOneLine(String bad) {
        Result result = ComposeProject.run(Duration.ofSeconds(20), Map.of("POSTGRES_PASSWORD", "x",
                "POOLER_POOL_SIZE", bad), ProjectFiles.root(), "bash", "-c", "source pooler/entrypoint.sh; check_settings");
        assertEquals(2, result.code(), result.out());
        assertEquals("citus-pooler: error [pooler-setting-invalid]: POOLER_POOL_SIZE='" + bad + "' must be a whole number"
                + " from 1 up, or empty to size the pool from the coordinator's CPUs\n", result.out());
    }
}
