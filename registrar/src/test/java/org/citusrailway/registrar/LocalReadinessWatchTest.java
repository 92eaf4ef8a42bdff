package org.citusrailway.registrar;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;
import org.citusrailway.registrar.config.Config;
import org.citusrailway.registrar.name.HostPort;
import org.citusrailway.registrar.pg.PgConnector;
import org.citusrailway.testkit.Await;
import org.citusrailway.testkit.cluster.LocalCitusCluster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The readiness watch against real Citus: with a long SCAN_INTERVAL (30 s) a pending worker (its name resolves, its
 * PostgreSQL is down) is registered within about a second of accepting connections, by the watch, not the next pass.
 * Also: the registrar's coordinator session does not cache connections to workers.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class LocalReadinessWatchTest {
    private LocalCitusCluster cluster;
    private LogCapture logs;

    @BeforeAll
    void start() {
        cluster = Clusters.scenarios();
        // Worker 3 gets citus created once, then stops: the next start is "PostgreSQL becomes ready", nothing else.
        cluster.start(Clusters.W3);
        cluster.stop(Clusters.W3);
        logs = new LogCapture();
    }

    @AfterAll
    void stop() {
        if (logs != null) {
            logs.close();
        }
        if (cluster != null) {
            cluster.close();
        }
    }

    private Map<String, String> env(String scanInterval) {
        Map<String, String> env = Clusters.scenariosEnvironment(cluster);
        env.put("WORKER_HOSTS", worker(1) + "," + worker(3));
        env.put("SCAN_INTERVAL", scanInterval);
        env.put("PORT", "0");
        env.put("LOG_FORMAT", "text");
        return env;
    }

    private HostPort worker(int n) {
        return Clusters.hostPort(cluster, "worker" + n);
    }

    private boolean active(HostPort worker) {
        return "t".equals(cluster.coordinatorSql().value("select isactive from pg_dist_node where nodename = '"
                + worker.host() + "' and nodeport = " + worker.port()));
    }

    @Test
    void aPendingWorkerIsAddedWithinASecondOfAcceptingConnectionsDespiteALongScanInterval() throws Exception {
        HostPort w3 = worker(3);
        try (RunningRegistrar registrar = new RunningRegistrar(env("30s"))) {
            assertEquals(Duration.ofMillis(250), registrar.config.readyCheckInterval());
            Await.until(Duration.ofSeconds(20), "worker 1 active and worker 3 pending", () -> active(worker(1))
                    && registrar.status().pendingCandidates().contains(w3.toString()));
            long passesBefore = registrar.status().passes();
            assertTrue(registrar.registrar.statusJson().contains("\"pendingCandidates\":[\"" + w3 + "\"]"),
                    registrar.registrar.statusJson());

            cluster.start(Clusters.W3); // returns once it accepts connections
            long ready = System.nanoTime();
            Await.until(Duration.ofSeconds(10), "worker 3 active", () -> active(w3));
            long millis = Duration.ofNanos(System.nanoTime() - ready).toMillis();
            System.out.println("pending worker 3 ready -> active at SCAN_INTERVAL=30s: " + millis + " ms");
            assertTrue(millis < 1500, "ready -> active took " + millis + " ms");
            assertTrue(registrar.status().passes() - passesBefore <= 3, "a pass or two, not a pass per check");
            Await.until(Duration.ofSeconds(5), "nothing pending", () -> registrar.status().pendingCandidates().isEmpty());

            // Nothing pending: no pass runs between SCAN_INTERVALs.
            long passes = registrar.status().passes();
            Thread.sleep(1500);
            assertEquals(passes, registrar.status().passes());

            Duration stopped = registrar.stop();
            assertTrue(stopped.toMillis() < 5000, "stop took " + stopped);
            assertFalse(registrar.alive());
        }
    }

    @Test
    void theCoordinatorSessionCachesNoWorkerConnections() throws Exception {
        Config config = Config.fromEnvironment(env("5s"));
        try (Connection c = new PgConnector(config).openCoordinator(); Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("show citus.max_cached_conns_per_worker")) {
            assertTrue(rs.next());
            assertEquals("0", rs.getString(1));
        }
    }
}
