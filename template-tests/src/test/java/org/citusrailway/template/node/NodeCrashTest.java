package org.citusrailway.template.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;
import org.citusrailway.template.BatchWriters;
import org.citusrailway.testkit.Await;
import org.citusrailway.testkit.PostgresBinaries;
import org.citusrailway.testkit.node.NodeCluster;
import org.citusrailway.testkit.node.NodeUnderTest;
import org.citusrailway.testkit.node.NodeUnderTest.NodeBinaries;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * SIGKILL of a whole node (wrapper, postmaster and every backend at once, as an OOM kill or the runtime's
 * SIGKILL does to a container): idle, in the wrapper's own boot steps, during Citus two-phase commits and
 * during a shard move. Each time the next boot must come back on its own, Citus must resolve the
 * prepared transactions, and every committed row must be there.
 */
class NodeCrashTest {
    private static final NodeBinaries BINARIES = NodeBinaries.best();
    private static final String STRAY_GID = "citus_0_424242_1_1";

    @Test
    void anIdleNodeKilledComesBackWithItsData() {
        try (NodeUnderTest node = new NodeUnderTest(BINARIES, "worker").env("POSTGRES_PASSWORD", "before")) {
            node.start();
            node.execute("create table kept (id int primary key)", "insert into kept select generate_series(1, 1000)");
            node.kill();
            // A rotated password on the boot after a crash: synced once recovery is over.
            node.env("POSTGRES_PASSWORD", "after").start();
            assertEquals("1000", node.query("select count(*) from kept"));
            assertTrue(node.output().contains("database system was interrupted"), node.output());
            assertFalse(node.allOutput().contains("before") || node.allOutput().contains("after"),
                    "the password must not be printed:\n" + node.allOutput());
        }
    }

    /**
     * The first boot's server accepts clients a moment before the wrapper sees it ready and removes its
     * initialization marker; a kill in that moment must not take the node for an interrupted first boot, nor a clean
     * stop (SIGTERM), after which postmaster.pid is gone (found in CI: the next boot set the data aside).
     */
    @ParameterizedTest
    @ValueSource(strings = {"KILL", "TERM"})
    void aKillOrStopBeforeTheFirstBootsMarkerIsRemovedKeepsTheData(String signal) throws Exception {
        try (NodeUnderTest node = new NodeUnderTest(BINARIES, "worker")) {
            node.start();
            node.execute("create table kept (id int primary key)", "insert into kept select generate_series(1, 10)");
            Files.writeString(node.volume.resolve("citus-node-initializing"), ""); // as if not yet removed
            if (signal.equals("KILL")) {
                node.kill();
            } else {
                assertEquals(0, node.stop());
            }
            node.start();
            assertEquals("10", node.query("select count(*) from kept"));
            assertFalse(node.allOutput().contains("[initialization-interrupted]"), node.allOutput());
            assertFalse(Files.exists(node.volume.resolve("citus-node-initializing")));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"coordinator", "worker"})
    void killsDuringTheBootStepsNeverKeepTheNodeFromStarting(String role) throws Exception {
        try (NodeUnderTest node = new NodeUnderTest(BINARIES, role)) {
            // First boot: initdb, the init scripts, the temporary server; then later boots on existing data.
            for (long delay : new long[] {50, 150, 300, 500, 800, 1200, 1700, 2500}) {
                node.startInBackground();
                Thread.sleep(delay);
                node.kill();
            }
            node.start();
            node.execute("create table kept (id int primary key)", "insert into kept values (1)");
            for (long delay : new long[] {20, 60, 120, 250, 400, 700}) {
                node.startInBackground();
                Thread.sleep(delay);
                node.kill();
            }
            node.start();
            assertEquals("1", node.query("select count(*) from kept"));
            String output = node.allOutput();
            try (Stream<Path> siblings = Files.list(node.volume)) {
                long setAside = siblings.filter(p -> p.getFileName().toString().startsWith("pgdata.interrupted-")).count();
                long warned = output.lines().filter(l -> l.contains("warning [initialization-interrupted]")).count();
                // A kill between the rename and the warning leaves a directory without its line.
                assertTrue(setAside >= warned && setAside >= 1,
                        "interrupted first boots are set aside, never deleted (" + setAside + " set aside, " + warned
                        + " warned):\n" + output);
                System.out.printf("crash: %s: 14 kills in the boot steps, %d interrupted first boots set aside%n", role,
                        setAside);
            }
            assertFalse(output.contains("[volume-from-another-service]"), output);
        }
    }

    /**
     * In a container the restarted server often gets the PID of the one that was killed, so a stale postmaster.pid
     * can name it as "ready" before it has even started recovery: only a server that answers counts.
     */
    @Test
    void aStalePidFileWithTheSamePidIsNotTakenForAReadyServer() throws Exception {
        Path pgdata = Files.createTempDirectory("stale-pgdata-");
        try {
            String script = """
                    source "$1/lib/messages.sh"; source "$1/lib/server.sh"
                    PGDATA=$2 POSTGRES_USER=postgres
                    sleep 3 & SERVER_PID=$!
                    printf '%s\n' "$SERVER_PID" "$PGDATA" 1700000000 59999 /tmp 127.0.0.1 '1 2' 'ready   ' \
                      >"$PGDATA/postmaster.pid"
                    if await_server_ready; then echo "taken for ready"; else echo "waited until the server exited"; fi
                    """;
            NodeUnderTest.Result result = NodeUnderTest.run(List.of("bash", "-c", script, "test",
                    NodeUnderTest.NODE_DIR.toString(), pgdata.toString()),
                    java.util.Map.of("PATH", BINARIES.postgres().binDir() + ":/usr/bin:/bin"));
            assertEquals("waited until the server exited", result.stdout().strip(), result.stderr());
        } finally {
            NodeUnderTest.deleteTree(pgdata);
        }
    }

    @Test
    void aWorkerKilledDuringTwoPhaseCommitsRecoversAndKeepsEveryCommittedBatch() throws Exception {
        assumeTrue(BINARIES.citus(), PostgresBinaries.citusMissingReason());
        try (Cluster cluster = new Cluster()) {
            cluster.killDuringWrites(cluster.worker1);
        }
    }

    @Test
    void theCoordinatorKilledDuringTwoPhaseCommitsRecoversAndKeepsEveryCommittedBatch() throws Exception {
        assumeTrue(BINARIES.citus(), PostgresBinaries.citusMissingReason());
        try (Cluster cluster = new Cluster()) {
            cluster.killDuringWrites(cluster.coordinator);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"coordinator", "target worker"})
    void aNodeKilledDuringAShardMoveRecoversAndTheMoveCanBeDoneAgain(String victimName) throws Exception {
        assumeTrue(BINARIES.citus(), PostgresBinaries.citusMissingReason());
        try (Cluster cluster = new Cluster()) {
            NodeUnderTest victim = victimName.equals("coordinator") ? cluster.coordinator : cluster.worker2;
            cluster.coordinator.execute("insert into writes select i, -1 from generate_series(1, 300000) i");
            String shard = cluster.coordinator.query("select shardid from citus_shards where table_name = 'writes'::regclass and nodeport = "
                    + cluster.worker1.serverPort() + " order by shardid limit 1");
            String move = "select citus_move_shard_placement(" + shard + ", '127.0.0.1', " + cluster.worker1.serverPort()
                    + ", '127.0.0.1', " + cluster.worker2.serverPort() + ", shard_transfer_mode => 'force_logical')";
            CompletableFuture<Void> moving = CompletableFuture.runAsync(() -> cluster.coordinator.execute(move));
            Thread.sleep(700);
            victim.kill();
            assertTrue(moving.handle((ok, failure) -> failure != null).get(), "the move cannot finish without the "
                    + victimName);
            victim.start();
            cluster.coordinator.execute("call citus_cleanup_orphaned_resources()");
            assertEquals("300000", cluster.coordinator.query("select count(*) from writes"));
            cluster.coordinator.execute(move);
            assertEquals("300000", cluster.coordinator.query("select count(*) from writes"));
            assertEquals("0", cluster.coordinator.query("select count(*) from pg_dist_shard_placement where shardid = "
                    + shard + " and nodeport = " + cluster.worker1.serverPort()));
        }
    }

    /** The three nodes with a distributed and a reference table. */
    private static final class Cluster extends NodeCluster {
        Cluster() {
            super(BINARIES);
            coordinator.execute("set citus.shard_count = 8");
            coordinator.execute(BatchWriters.TABLES);
        }

        /**
         * Writers commit batches that touch every shard and the reference table (two-phase commit on both
         * workers); the node is killed mid-way, booted again, and then every batch a writer saw committed
         * must be there whole, no other batch partly, and no prepared transaction left behind.
         */
        void killDuringWrites(NodeUnderTest victim) throws Exception {
            BatchWriters writers = new BatchWriters(coordinator::connect);
            writers.startAndAwait(4, 20);
            // Where the kill lands between PREPARE and COMMIT PREPARED is chance; one transaction prepared by hand,
            // named as Citus names its own, makes sure the WAL holds a PREPARE record that is never resolved.
            victim.execute("create table if not exists stray (id int)",
                    "begin; insert into stray values (1); prepare transaction '" + STRAY_GID + "'");
            victim.kill();
            Thread.sleep(300);
            writers.stop();

            long booting = System.nanoTime();
            victim.start();
            long bootMillis = (System.nanoTime() - booting) / 1_000_000;
            long recovered = victim.output().lines().filter(l -> l.contains("recovering prepared transaction")).count();
            System.out.printf("crash: %s killed during two-phase commits; accepting logins again after %d ms;"
                    + " %d prepared transactions recovered from WAL at boot; %d batches committed before the kill%n",
                    victim == coordinator ? "coordinator" : "worker", bootMillis, recovered, writers.committed());

            assertTrue(recovered >= 1, "the boot replayed PREPARE records:\n" + victim.output());
            coordinator.execute("select recover_prepared_transactions()");
            Await.until(Duration.ofSeconds(60), "every prepared transaction resolved", () -> {
                coordinator.execute("select recover_prepared_transactions()");
                return "0".equals(coordinator.query("select count(*) from pg_dist_transaction"))
                        && "0".equals(worker1.query("select count(*) from pg_prepared_xacts"))
                        && "0".equals(worker2.query("select count(*) from pg_prepared_xacts"))
                        && "0".equals(coordinator.query("select count(*) from pg_prepared_xacts"));
            });
            writers.assertCommittedBatchesAreThere(coordinator::query);
        }
    }
}
