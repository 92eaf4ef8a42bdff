package org.citusrailway.registrar;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.Map;
import org.citusrailway.registrar.report.Event;
import org.citusrailway.registrar.view.Status;
import org.citusrailway.testkit.Await;
import org.citusrailway.testkit.Sql;
import org.citusrailway.testkit.cluster.LocalCitusCluster;
import org.junit.jupiter.api.Test;

/**
 * REBALANCE_TRANSFER_MODE=block_writes against real Citus: a table without a primary key or replica identity, which
 * stops the default online rebalance, moves with the rest; the writer loses no row. And the job the registrar starts
 * lets its moves run side by side: no move waits for another move.
 */
class TransferModeTest {
    private static final Duration SOON = Duration.ofSeconds(60);

    @Test
    void blockWritesMovesATableWithoutAKeyAndTheMovesDoNotWaitForEachOther() throws Exception {
        try (LocalCitusCluster cluster = Clusters.scale(); LogCapture logs = new LogCapture()) {
            Sql db = cluster.coordinatorSql();
            Map<String, String> env = Clusters.scaleEnvironment(cluster);
            env.put("REBALANCE_TRANSFER_MODE", "block_writes");
            try (RunningRegistrar registrar = new RunningRegistrar(env)) {
                // Workers 1 and 2 first, then the tables: their shards go there, and only worker 3 is owed any.
                Await.until(SOON, "workers 1 and 2 active", () -> activeWorkers(db) == 2);
                db.execute("create table items (id bigint primary key, v text);"
                        + " select create_distributed_table('items', 'id');"
                        + " create table nokey (id bigint, v text);"
                        + " select create_distributed_table('nokey', 'id', colocate_with := 'items');"
                        + " create table countries (id int primary key, name text);"
                        + " select create_reference_table('countries');"
                        + " insert into countries select g, 'country ' || g from generate_series(1, 50) g;"
                        + " insert into nokey select g, md5(g::text) from generate_series(1, 20000) g;"
                        + " insert into items select g, md5(g::text) from generate_series(1, 20000) g;");
                String nokey = checksum(db, "nokey");
                try (Writer writer = new Writer(cluster, 20001)) {
                    cluster.start(Clusters.W3);
                    Await.until(SOON, "rebalance finished", () -> logs.count(Event.REBALANCE_FINISHED) == 1);
                    Thread.sleep(500); // the writer keeps going after the last move
                    writer.close();

                    assertEquals(0, logs.count(Event.REBALANCE_BLOCKED),
                            "block_writes is never blocked by a missing key");
                    assertTrue(logs.lines().stream().anyMatch(l -> Event.REBALANCE_STARTED.id().equals(
                            LogCapture.field(l, "event"))
                            && "block_writes".equals(LogCapture.field(l, "transferMode"))));
                    Await.until(SOON, "/status shows the job finished",
                            () -> "finished".equals(registrar.status().rebalance().jobState()));
                    Status.Rebalance done = registrar.status().rebalance();
                    assertEquals("block_writes", done.transferMode());
                    assertTrue(db.number("select count(*) from citus_shards where table_name = 'nokey'::regclass"
                            + " and nodeport = " + cluster.endpoint(Clusters.W3).port()) > 0,
                            "nokey shards moved to worker 3");
                    assertEquals(nokey, checksum(db, "nokey"), "every nokey row, exactly once");
                    long committed = writer.lastCommitted();
                    assertEquals(committed + ":" + expected(db, committed), checksum(db, "items"),
                            "every committed items row, exactly once");
                    assertEquals(Map.of(), writer.errors(), "a write pause is a wait, not an error");

                    long moves = db.number("select count(*) from pg_dist_background_task t where t.job_id = "
                            + done.jobId() + " and t.command like '%citus_move_shard_placement%'");
                    long movesWaitingForMoves = db.number("select count(*) from pg_dist_background_task_depend d"
                            + " join pg_dist_background_task t on t.job_id = d.job_id and t.task_id = d.depends_on"
                            + " where d.job_id = " + done.jobId()
                            + " and t.command like '%citus_move_shard_placement%'");
                    System.out.println("TRANSFER MODE block_writes: " + moves + " moves, " + movesWaitingForMoves
                            + " of them waiting for another move; " + (committed - 20000) + " rows written meanwhile,"
                            + " lost 0");
                    assertTrue(moves >= 2, "the rebalance moved several shard groups");
                    assertEquals(0, movesWaitingForMoves, "parallel transfers: no move waits for another move");
                }
            }
        }
    }

    private static long activeWorkers(Sql db) {
        try {
            return db.number("select count(*) from pg_dist_node where isactive and groupid <> 0");
        } catch (IllegalStateException e) {
            return -1; // the coordinator is busy or restarting: ask again
        }
    }

    private static String checksum(Sql db, String table) {
        return db.value("select count(*) || ':' || md5(coalesce(string_agg(row(t.id, t.v)::text, ','"
                + " order by t.id), '')) from " + table + " t");
    }

    /** The md5 part of {@link #checksum} if exactly rows 1..n hold (id, md5(id)). */
    private static String expected(Sql db, long n) {
        return db.value("select md5(coalesce(string_agg(row(g, md5(g::text))::text, ',' order by g), ''))"
                + " from generate_series(1, " + n + ") g");
    }
}
