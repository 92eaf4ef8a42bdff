package org.citusrailway.registrar;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.Map;
import org.citusrailway.registrar.name.HostPort;
import org.citusrailway.registrar.report.Event;
import org.citusrailway.registrar.result.RestoreTarget;
import org.citusrailway.testkit.Await;
import org.citusrailway.testkit.LocalPostgres;
import org.citusrailway.testkit.cluster.LocalCitusCluster;
import org.junit.jupiter.api.Test;

/**
 * After a restore from the bucket every node reports its restore point (citus_node.restored_to, set by
 * node/lib/restore.sh). Against real Citus nodes whose setting is changed as a restore changes it: a worker whose data
 * is from another point in time than the coordinator's is disabled, a new one restored elsewhere is not added, and
 * each is taken back once it reports the coordinator's point.
 */
class RestoreMismatchTest {
    private static final Duration SOON = Duration.ofSeconds(30);
    private static final String POINT = "citus-20261202T070000Z";

    /**
     * As restore.sh leaves a restored node: the setting in the server's configuration file (not ALTER SYSTEM, which
     * takes a custom setting only from PostgreSQL 17 on), seen by every new session, as by the registrar's next one.
     */
    private static void restoredTo(LocalPostgres node, String point) {
        node.configure(RestoreTarget.SETTING, point);
    }

    private static boolean active(LocalCitusCluster cluster, HostPort worker) {
        return "t".equals(cluster.coordinatorSql().value("select isactive from pg_dist_node where nodename = '"
                + worker.host() + "' and nodeport = " + worker.port()));
    }

    private static HostPort w1(LocalCitusCluster cluster) {
        return Clusters.hostPort(cluster, Clusters.W1);
    }

    private static HostPort w2(LocalCitusCluster cluster) {
        return Clusters.hostPort(cluster, Clusters.W2);
    }

    @Test
    void aWorkerNotRestoredWithTheCoordinatorIsDisabledUntilItIsRestoredToTheSamePoint() throws Exception {
        try (LocalCitusCluster cluster = Clusters.scale(); LogCapture logs = new LogCapture()) {
            Map<String, String> env = Clusters.scaleEnvironment(cluster);
            try (RunningRegistrar registrar = new RunningRegistrar(env)) {
                Await.until(SOON, "both workers active", () -> active(cluster, w1(cluster)) && active(cluster,
                        w2(cluster)));
            }

            // The coordinator and worker1 come back from the bucket at POINT; worker2 keeps its newer data.
            restoredTo(cluster.coordinator(), POINT);
            restoredTo(cluster.server(Clusters.W1), POINT);
            try (RunningRegistrar registrar = new RunningRegistrar(env)) {
                Await.until(SOON, "worker2 disabled", () -> !active(cluster, w2(cluster)));
                assertEquals(1, logs.count(Event.WORKER_RESTORE_MISMATCH), logs.text());
                assertTrue(logs.text().contains("worker " + w2(cluster) + " was disabled"), logs.text());
                assertTrue(active(cluster, w1(cluster)), "worker1 was restored with the coordinator");
                Await.until(SOON, "worker2's reason in /status", () -> registrar.status().toJson().contains(
                        "not restored with the cluster; the coordinator was restored to '" + POINT + "'"));

                // A new worker restored to another point is not added either.
                LocalPostgres worker3 = cluster.server(Clusters.W3);
                worker3.start(); // without citus until its setting is in place: not addable before
                restoredTo(worker3, "citus-20261201T070000Z");
                worker3.execute("postgres", LocalCitusCluster.CREATE_CITUS);
                Await.until(SOON, "worker3 rejected", () -> registrar.status().toJson().contains(
                        "restored to 'citus-20261201T070000Z'"));
                assertEquals("0", cluster.coordinatorSql().value("select count(*) from pg_dist_node"
                        + " where nodeport = " + worker3.port()));

                // worker2 restored to the coordinator's point: active again.
                restoredTo(cluster.server(Clusters.W2), POINT);
                Await.until(SOON, "worker2 active again", () -> active(cluster, w2(cluster)));
            }
        }
    }

    @Test
    void aWorkerFromAnotherPointThatHoldsTheOnlyCopyOfShardsIsReportedOnce() throws Exception {
        try (LocalCitusCluster cluster = Clusters.scale(); LogCapture logs = new LogCapture()) {
            Map<String, String> env = Clusters.scaleEnvironment(cluster);
            try (RunningRegistrar registrar = new RunningRegistrar(env)) {
                Await.until(SOON, "both workers active", () -> active(cluster, w1(cluster)) && active(cluster,
                        w2(cluster)));
            }
            cluster.coordinator().execute("postgres", "create table orders (id bigint primary key, total int)",
                    "select create_distributed_table('orders', 'id')",
                    "insert into orders select i, i from generate_series(1, 1000) i");
            restoredTo(cluster.server(Clusters.W2), "citus-20261201T070000Z"); // restored alone
            try (RunningRegistrar registrar = new RunningRegistrar(env)) {
                Await.until(SOON, "worker-disable-failed", () -> logs.count(Event.WORKER_DISABLE_FAILED) == 1);
                assertTrue(logs.text().contains("worker " + w2(cluster) + " has data from another point in time"),
                        logs.text());
                assertTrue(logs.text().contains("only shard placement"), logs.text());
                Thread.sleep(2_000);
                assertEquals(1, logs.count(Event.WORKER_DISABLE_FAILED), "said once: " + logs.text());
                assertTrue(active(cluster, w2(cluster)), "Citus keeps it: it holds the only copy of shards");
                assertEquals("1000", cluster.coordinatorSql().value("select count(*) from orders"));
            }
        }
    }
}
