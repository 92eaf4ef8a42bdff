package org.citusrailway.registrar;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.citusrailway.registrar.name.HostPort;
import org.citusrailway.registrar.report.Event;
import org.citusrailway.registrar.view.Status;
import org.citusrailway.testkit.Await;
import org.citusrailway.testkit.Sql;
import org.citusrailway.testkit.cluster.CitusTestCluster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The registrar against real Citus, one story in order: registration from scratch, a no-op re-run, a worker added
 * later, re-activation, retirement, the coordinator row. Subclasses provide the cluster (local processes or
 * containers) with the nodes and names of {@link Clusters#scenarios}. The registrar runs with the default
 * SCAN_INTERVAL.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
abstract class CitusScenarios {
    private static final Duration SOON = Duration.ofSeconds(20);

    private CitusTestCluster cluster;
    private Sql db;
    private LogCapture logs;
    private RunningRegistrar registrar;

    /** The cluster, and the registrar's settings for it (coordinator, credentials, how it finds the workers). */
    record Setup(CitusTestCluster cluster, Map<String, String> registrarEnvironment) {
    }

    /** Starts the cluster, or aborts the class with an assumption message saying why it cannot run here. */
    abstract Setup startCluster();

    private String skipReason;

    @BeforeAll
    void start() {
        Map<String, String> env;
        try {
            Setup setup = startCluster();
            cluster = setup.cluster();
            env = new java.util.HashMap<>(setup.registrarEnvironment());
        } catch (org.opentest4j.TestAbortedException e) {
            skipReason = e.getMessage(); // reported on every scenario, so the skip and its reason are visible
            return;
        }
        db = cluster.coordinatorSql();
        logs = new LogCapture();
        env.put("PORT", "0");
        env.put("LOG_FORMAT", "text");
        registrar = new RunningRegistrar(env);
    }

    @BeforeEach
    void runnable() {
        Assumptions.assumeTrue(skipReason == null, skipReason);
    }

    @AfterAll
    void stop() throws InterruptedException {
        try {
            if (registrar != null) {
                registrar.close();
            }
            if (logs != null) {
                assertFalse(logs.text().contains(cluster.password()), "password in the log");
                logs.close();
            }
        } finally {
            if (cluster != null) {
                cluster.close(); // whatever failed: the containers go (the Testcontainers variant may run without Ryuk)
            }
        }
    }

    record Row(int nodeId, int groupId, String name, int port, boolean active) {
        HostPort key() {
            return new HostPort(name, port);
        }
    }

    private List<Row> nodes() {
        return db.rows("select nodeid, groupid, nodename, nodeport, isactive from pg_dist_node order by nodeid",
                rs -> new Row(rs.getInt(1), rs.getInt(2), rs.getString(3), rs.getInt(4), rs.getBoolean(5)));
    }

    private Optional<Row> node(HostPort key) {
        return nodes().stream().filter(r -> r.groupId() != 0 && r.key().equals(key)).findFirst();
    }

    private boolean active(HostPort key) {
        return node(key).map(Row::active).orElse(false);
    }

    /** Workers 1 and 2 (running from the start) and 3 (started later), as registered. */
    private HostPort worker(int n) {
        return Clusters.hostPort(cluster, "worker" + n);
    }

    /** A Citus worker whose superuser password differs from POSTGRES_PASSWORD. */
    private HostPort wrongPasswordWorker() {
        return Clusters.hostPort(cluster, Clusters.WRONG_PASSWORD);
    }

    /** A second name for worker 1 (same server_id). */
    private HostPort worker1Alias() {
        return Clusters.hostPort(cluster, Clusters.W1_ALIAS);
    }

    /** The coordinator listed as a worker candidate. */
    private HostPort coordinatorAsWorker() {
        return Clusters.hostPort(cluster, Clusters.COORDINATOR_AS_WORKER);
    }

    /** A worker with its own name, for retirement (retirement is by name). */
    private HostPort retiree() {
        return Clusters.hostPort(cluster, Clusters.RETIREE);
    }

    /** The coordinator's row as the registrar must set it. */
    private HostPort coordinatorRow() {
        return Clusters.hostPort(cluster, Clusters.COORDINATOR);
    }

    private Optional<Status.Candidate> candidate(HostPort key) {
        return registrar.status().candidates().stream()
                .filter(c -> c.name().equals(key.host()) && c.port() == key.port()).findFirst();
    }

    private String reasonOf(HostPort key) {
        return candidate(key).map(Status.Candidate::reason).orElse(null);
    }

    private void passes(int count) {
        long target = registrar.status().passes() + count;
        // Passes come every SCAN_INTERVAL (default 5 s), sooner only when a pending worker becomes ready.
        Duration timeout = SOON.plus(registrar.config.scanInterval().multipliedBy(count));
        Await.until(timeout, count + " more passes", () -> registrar.status().passes() >= target);
    }

    @Test
    @Order(1)
    void registersTwoWorkersFromScratch() {
        Await.until(SOON, "workers 1 and 2 active", () -> active(worker(1)) && active(worker(2)));
        assertEquals("leader", registrar.role());
        Row coordinatorRow = nodes().stream().filter(r -> r.groupId() == 0).findFirst().orElseThrow();
        assertEquals(coordinatorRow(), coordinatorRow.key());
        assertTrue(logs.count(Event.WORKER_ADDED, worker(1).toString()) == 1);
        assertTrue(logs.count(Event.WORKER_ADDED, worker(2).toString()) == 1);
    }

    @Test
    @Order(2)
    void rejectedCandidatesAreReportedWithTheirReasonAndNotAdded() {
        Await.until(SOON, "wrong password reported", () -> "auth-failed".equals(reasonOf(wrongPasswordWorker())));
        Await.until(SOON, "second name of worker 1 reported",
                () -> "duplicate-server-id".equals(reasonOf(worker1Alias())));
        Await.until(SOON, "coordinator as worker reported",
                () -> "is-coordinator".equals(reasonOf(coordinatorAsWorker())));
        if (cluster.stoppedNodeNamesResolve()) {
            Await.until(SOON, "worker 3 (not started) reported",
                    () -> "unreachable".equals(reasonOf(worker(3))));
        } else { // its name does not exist before it starts, as a Railway service's: nothing to probe or report
            Optional<Status.Candidate> notStarted = candidate(worker(3));
            assertTrue(notStarted.map(c -> "not-found".equals(c.state())).orElse(true),
                    "worker 3 (not started) has no name yet: " + notStarted);
        }
        for (HostPort rejected : List.of(wrongPasswordWorker(), worker1Alias(),
                coordinatorAsWorker(), worker(3))) {
            assertTrue(node(rejected).isEmpty(), rejected + " must not be registered");
        }
        assertTrue(logs.count(Event.PROBE_FAILED, wrongPasswordWorker().toString()) == 1,
                "one line per change, not per pass");
        String status = registrar.registrar.statusJson();
        assertFalse(status.contains(cluster.password()));
        assertTrue(registrar.registrar.metricsText().matches(
                "(?s).*citus_registrar_probe_failures_total\\{reason=\"auth-failed\"} [1-9].*"));
    }

    @Test
    @Order(3)
    void reRunIsANoOp() {
        List<Row> before = nodes();
        long changes = logs.count(Event.WORKER_ADDED) + logs.count(Event.WORKER_ACTIVATED)
                + logs.count(Event.COORDINATOR_HOST_SET);
        passes(3);
        assertEquals(before, nodes());
        assertEquals(changes, logs.count(Event.WORKER_ADDED) + logs.count(Event.WORKER_ACTIVATED)
                + logs.count(Event.COORDINATOR_HOST_SET));
        assertEquals("2 active, 0 inactive, 0 lost; no writes", registrar.registrar.lastDecision());
    }

    @Test
    @Order(4)
    void aWorkerThatAppearsLaterIsAdded() {
        cluster.start(Clusters.W3);
        long ready = System.nanoTime();
        Await.until(SOON, "worker 3 active", () -> active(worker(3)));
        long millis = Duration.ofNanos(System.nanoTime() - ready).toMillis();
        // How soon is a figure, not a pass/fail: the benchmark's ReadinessRun measures it; a loaded machine stretches it.
        System.out.println("worker 3 ready -> active: " + millis + " ms");
    }

    @Test
    @Order(5)
    void aDisabledWorkerIsActivatedAgain() {
        HostPort w2 = worker(2);
        db.execute("select citus_disable_node(?, ?, synchronous := true)", w2.host(), w2.port());
        Await.until(SOON, "worker 2 active again", () -> active(w2));
        // The line follows the commit that the catalog already shows.
        Await.until(SOON, "worker-activated for worker 2", () -> logs.count(Event.WORKER_ACTIVATED, w2.toString()) >= 1);
    }

    @Test
    @Order(6)
    void aRetiredWorkerIsNeitherAddedNorActivated() {
        HostPort retiree = retiree();
        db.execute("insert into citus_registrar.retired_workers (nodename, note) values (?, 'drained on purpose')",
                retiree.host());
        cluster.start(Clusters.RETIREE);
        Await.until(SOON, "retiree seen as retired",
                () -> candidate(retiree).map(c -> "retired".equals(c.state())).orElse(false));
        passes(3);
        assertTrue(node(retiree).isEmpty(), "a retired name is never added");
        assertTrue(logs.count(Event.WORKER_RETIRED, retiree.toString()) == 1);

        // Un-retired, it is added; disabled and retired again, it stays inactive.
        db.execute("delete from citus_registrar.retired_workers where nodename = ?", retiree.host());
        Await.until(SOON, "retiree added once no longer retired", () -> active(retiree));
        db.execute("insert into citus_registrar.retired_workers (nodename) values (?)", retiree.host());
        db.execute("select citus_disable_node(?, ?, synchronous := true)", retiree.host(), retiree.port());
        passes(3);
        assertFalse(active(retiree), "a retired, disabled worker is not activated");
        assertTrue(node(retiree).isPresent(), "nor removed");
    }

    @Test
    @Order(7)
    void theCoordinatorRowIsSetOnceAndOnlyFixedWhenWrong() {
        assertEquals(1, logs.count(Event.COORDINATOR_HOST_SET));
        HostPort row = coordinatorRow();
        db.execute("select citus_set_coordinator_host(?, ?)", row.host(), row.port() + 1);
        // The pass logs its write after making it, so the row can be seen fixed a moment before the line is there.
        Await.until(SOON, "coordinator row fixed and logged", () -> nodes().stream()
                .anyMatch(r -> r.groupId() == 0 && r.key().equals(row)) && logs.count(Event.COORDINATOR_HOST_SET) >= 2);
        assertEquals(2, logs.count(Event.COORDINATOR_HOST_SET));
    }
}
