package org.citusrailway.template.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.sql.Connection;
import java.sql.ResultSet;
import org.citusrailway.testkit.PostgresBinaries;
import org.citusrailway.testkit.node.NodeCluster;
import org.citusrailway.testkit.node.NodeUnderTest;
import org.citusrailway.testkit.node.NodeUnderTest.NodeBinaries;
import org.junit.jupiter.api.Test;

/**
 * A coordinator and two workers configured only by node/entrypoint.sh (same password, each node's own
 * ~/.pgpass, Citus's default citus.node_conninfo sslmode=require): registration, a distributed table, a
 * shard move by logical replication and a background rebalance whose moves run side by side.
 */
class CitusClusterTest {

    @Test
    void coordinatorAndWorkersFormAClusterThatMovesAndRebalancesShards() throws Exception {
        NodeBinaries binaries = NodeBinaries.best();
        assumeTrue(binaries.citus(), PostgresBinaries.citusMissingReason());
        try (NodeCluster cluster = new NodeCluster(binaries)) {
            NodeUnderTest coordinator = cluster.coordinator;
            NodeUnderTest worker1 = cluster.worker1;
            NodeUnderTest worker2 = cluster.worker2;
            assertEquals("sslmode=require", coordinator.show("citus.node_conninfo"));

            coordinator.execute(
                    "set citus.shard_count = 4",
                    "create table events (id bigint primary key, payload text)",
                    "select create_distributed_table('events', 'id')",
                    "insert into events select i, 'event ' || i from generate_series(1, 1000) i");
            assertEquals("2", coordinator.query("select count(*) from citus_get_active_worker_nodes()"));

            // Every shard onto worker 2 by logical replication, then the rebalancer's background jobs spread them.
            try (Connection c = coordinator.connect();
                    ResultSet shards = c.createStatement().executeQuery(
                            "select shardid from pg_dist_shard_placement where nodeport = " + worker1.serverPort())) {
                while (shards.next()) {
                    c.createStatement().execute("select citus_move_shard_placement(" + shards.getLong(1)
                            + ", '127.0.0.1', " + worker1.serverPort() + ", '127.0.0.1', " + worker2.serverPort()
                            + ", shard_transfer_mode => 'force_logical')");
                }
            }
            assertEquals("0", placementsOn(coordinator, worker1));
            assertEquals("1000", coordinator.query("select count(*) from events"));

            // As the registrar starts it: the node settings let the moves run side by side.
            coordinator.execute("select citus_rebalance_start(shard_transfer_mode => 'force_logical',"
                    + " parallel_transfer_colocated_shards => true, parallel_transfer_reference_tables => true)");
            int mostRunningAtOnce = 0;
            try (Connection c = coordinator.connect()) {
                while (true) {
                    try (ResultSet rs = c.createStatement().executeQuery("select count(*) filter (where t.status ="
                            + " 'running'), bool_or(j.state in ('scheduled', 'running')) from pg_dist_background_job j"
                            + " join pg_dist_background_task t using (job_id)"
                            + " where j.job_id = (select max(job_id) from pg_dist_background_job)")) {
                        rs.next();
                        mostRunningAtOnce = Math.max(mostRunningAtOnce, rs.getInt(1));
                        if (!rs.getBoolean(2)) {
                            break;
                        }
                    }
                    Thread.sleep(20);
                }
            }
            assertEquals("2", placementsOn(coordinator, worker1));
            assertTrue(mostRunningAtOnce >= 2, "moves ran side by side (most at once: " + mostRunningAtOnce + ")");
            assertEquals("finished", coordinator.query(
                    "select state from pg_dist_background_job order by job_id desc limit 1"));
            assertEquals("1000", coordinator.query("select count(*) from events"));

            try (Connection tls = coordinator.connect("app", coordinator.password(), "?sslmode=require");
                    ResultSet rs = tls.createStatement().executeQuery(
                            "select ssl from pg_stat_ssl where pid = pg_backend_pid()")) {
                rs.next();
                assertTrue(rs.getBoolean(1), "sslmode=require connection to the coordinator is encrypted");
            }
        }
    }

    private static String placementsOn(NodeUnderTest coordinator, NodeUnderTest worker) {
        return coordinator.query("select count(*) from pg_dist_shard_placement where nodeport = " + worker.serverPort());
    }
}
