package org.citusrailway.registrar;

import java.util.Map;
import java.util.function.UnaryOperator;
import org.citusrailway.registrar.name.HostPort;
import org.citusrailway.testkit.LocalPostgres;
import org.citusrailway.testkit.TestHosts;
import org.citusrailway.testkit.cluster.CitusTestCluster;
import org.citusrailway.testkit.cluster.Endpoint;
import org.citusrailway.testkit.cluster.LocalCitusCluster;

/**
 * The Citus clusters of the registrar's suites, as local processes (testkit's LocalCitusCluster), and the
 * registrar's settings for each.
 *
 * <p>{@link #scale}: for the scale, fault, backup and rebalance suites. The coordinator and workers 1 and 2 under the
 * machine's name (distinct ports), worker 3 as {@code 127.0.0.1:<port>}, a name of its own because retirement is by
 * name. The machine's name, not localhost, so that taking it out of the test hosts file really makes the workers stop
 * resolving for the registrar. Worker 3 starts only when asked.
 *
 * <p>{@link #scenarios}: for the Citus scenarios and the readiness watch. Workers under {@code localhost:<port>}, a
 * worker whose superuser password differs, a second name for worker 1 (the machine's name), the coordinator listed as
 * a worker, and a worker to retire as {@code 127.0.0.1:<port>}. Worker 3 and the retiree start only when asked.
 */
public final class Clusters {
    public static final String PASSWORD = "Scale-Fault-Secret-5150";
    public static final String COORDINATOR = CitusTestCluster.COORDINATOR;
    public static final String W1 = "worker1";
    public static final String W2 = "worker2";
    public static final String W3 = "worker3";

    public static final String WRONG_PASSWORD = "wrong";
    public static final String W1_ALIAS = "worker1-alias";
    public static final String COORDINATOR_AS_WORKER = "coordinator-as-worker";
    public static final String RETIREE = "retiree";
    static final String SCENARIOS_PASSWORD = "Citus-Local-Secret-9";

    private Clusters() {
    }

    /** Skips the test (saying why) where Citus is not installed or the machine's name does not resolve. */
    public static LocalCitusCluster scale() {
        return scale(builder -> builder);
    }

    /** With more settings for every server ({@code settings} adds them to each builder). */
    public static LocalCitusCluster scale(UnaryOperator<LocalPostgres.Builder> settings) {
        String machine = TestHosts.machineName();
        return LocalCitusCluster.withInstalledCitus().password(PASSWORD).settings(settings)
                .worker(W1, machine).worker(W2, machine).stoppedWorker(W3, "127.0.0.1").start();
    }

    /** The registrar's settings for {@link #scale}: quick passes, a lost worker reported at once. A new map. */
    public static Map<String, String> scaleEnvironment(LocalCitusCluster cluster) {
        Map<String, String> env = cluster.registrarEnvironment(W1, W2, W3);
        env.put("SCAN_INTERVAL", "250ms");
        env.put("WORKER_LOST_AFTER", "0s"); // the fault tests expect a killed worker to be reported at once
        // Long enough that a statement the tests hold up on a lock is still waiting when the fault strikes.
        env.put("LOCK_TIMEOUT", "1m");
        env.put("STATEMENT_TIMEOUT", "1m");
        env.put("PORT", "0");
        env.put("LOG_FORMAT", "text");
        return env;
    }

    /** Skips the test (saying why) where Citus is not installed or the machine's name does not resolve. */
    static LocalCitusCluster scenarios() {
        return LocalCitusCluster.withInstalledCitus().password(SCENARIOS_PASSWORD)
                .worker(W1, "localhost").worker(W2, "localhost").stoppedWorker(W3, "localhost")
                .worker(WRONG_PASSWORD, "localhost", "another-password").stoppedWorker(RETIREE, "127.0.0.1")
                .name(W1_ALIAS, W1, TestHosts.machineName()).name(COORDINATOR_AS_WORKER, COORDINATOR, "localhost")
                .start();
    }

    /** The registrar's settings for {@link #scenarios}: every node and name as WORKER_HOSTS. A new map. */
    static Map<String, String> scenariosEnvironment(LocalCitusCluster cluster) {
        return cluster.registrarEnvironment(W1, W2, W3, WRONG_PASSWORD, W1_ALIAS, RETIREE, COORDINATOR_AS_WORKER);
    }

    /** A node's name and port as the registrar's own type. */
    public static HostPort hostPort(CitusTestCluster cluster, String key) {
        Endpoint endpoint = cluster.endpoint(key);
        return new HostPort(endpoint.host(), endpoint.port());
    }
}
