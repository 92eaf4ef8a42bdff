package org.citusrailway.template.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.sql.Connection;
import java.sql.ResultSet;
import org.citusrailway.template.node.NodeUnderTest.NodeBinaries;
import org.citusrailway.testkit.PostgresBinaries;
import org.junit.jupiter.api.Test;

/**
 * A coordinator and two workers configured only by node/entrypoint.sh (same password, each node's own
 * ~/.pgpass, Citus's default citus.node_conninfo sslmode=require): registration, a distributed table, a
 * shard move by logical replication and a background rebalance.
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
                    "set citus.shard_count = 2",
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

            coordinator.execute("select citus_rebalance_start(shard_transfer_mode => 'force_logical')",
                    "select citus_rebalance_wait()");
            assertEquals("1", placementsOn(coordinator, worker1));
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
