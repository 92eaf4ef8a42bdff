package org.citusrailway.benchmark;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.citusrailway.testkit.LocalPostgres;
import org.citusrailway.testkit.PostgresBinaries;
import org.citusrailway.testkit.cluster.CitusTestCluster;
import org.citusrailway.testkit.cluster.LocalCitusCluster;

/**
 * The benchmark's Citus clusters (the test kit's {@link LocalCitusCluster}): the coordinator under this machine's name,
 * knowing it (citus_set_coordinator_host), and two workers on 127.0.0.1, left for the registrar to register.
 */
final class Clusters {
    static final String PASSWORD = "Benchmark-Secret-7731";
    /**
     * The workers' keys, each also the name it is registered under. Both resolvers know them: "localhost" (the
     * readiness rounds make it vanish and reappear for the registrar), and the literal 127.0.0.1, which no lookup can
     * take away.
     */
    static final String WORKER_1 = "localhost";
    static final String WORKER_2 = "127.0.0.1";
    static final List<String> WORKERS = List.of(WORKER_1, WORKER_2);

    private Clusters() {
    }

    static LocalCitusCluster start(PostgresBinaries binaries, String coordinatorName) {
        LocalCitusCluster cluster = LocalCitusCluster.builder(binaries, coordinatorName).password(PASSWORD)
                .worker(WORKER_1, WORKER_1).worker(WORKER_2, WORKER_2).start();
        try {
            cluster.coordinatorSql().execute("select citus_set_coordinator_host(?, ?)", coordinatorName,
                    cluster.endpoint(CitusTestCluster.COORDINATOR).port());
            return cluster;
        } catch (RuntimeException e) {
            cluster.close();
            throw e;
        }
    }

    /**
     * The registrar's settings for a cluster: the coordinator, the real workers in WORKER_HOSTS by name and port, and
     * the 80 default candidate names (WORKER_INDEX_MAX unset), JSON logs. A new map, for the caller to add to.
     */
    static Map<String, String> registrarEnv(LocalCitusCluster cluster) {
        Map<String, String> env = cluster.registrarEnvironment(WORKERS.toArray(String[]::new));
        env.remove("WORKER_INDEX_MAX");
        env.put("LOG_FORMAT", "json");
        return env;
    }

    /** The same for a lone PostgreSQL without Citus (start-up only): no workers. */
    static Map<String, String> registrarEnv(LocalPostgres coordinator, String coordinatorName) {
        return new HashMap<>(Map.of("POSTGRES_PASSWORD", PASSWORD, "COORDINATOR_HOST", coordinatorName,
                "COORDINATOR_PORT", Integer.toString(coordinator.port()), "WORKER_HOSTS", "", "LOG_FORMAT", "json"));
    }

    static String versions(LocalPostgres coordinator) {
        try {
            List<String> row = coordinator.sql().rows("select current_setting('server_version'),"
                    + " (select extversion from pg_extension where extname = 'citus')").get(0);
            return "PostgreSQL " + row.get(0) + (row.get(1) == null ? "" : ", Citus " + row.get(1));
        } catch (RuntimeException e) {
            return "(version unknown: " + e.getMessage() + ")";
        }
    }
}
