package org.citusrailway.registrar;

import static org.citusrailway.registrar.Clusters.COORDINATOR;
import static org.citusrailway.registrar.Clusters.W1;
import static org.citusrailway.registrar.Clusters.W2;
import static org.citusrailway.registrar.Clusters.W3;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.citusrailway.registrar.name.HostPort;
import org.citusrailway.registrar.reconcile.KnownWorkers;
import org.citusrailway.registrar.report.Event;
import org.citusrailway.registrar.view.Status;
import org.citusrailway.testkit.Await;
import org.citusrailway.testkit.Sql;
import org.citusrailway.testkit.TestHosts;
import org.citusrailway.testkit.cluster.LocalCitusCluster;
import org.citusrailway.testkit.registrar.RegistrarProcess;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * Scale out and in without losing a row, and the ordinary faults, against real Citus as local processes. One story in
 * order: registration, two registrars, a worker killed, DNS failing, the coordinator restarted mid-pass, scale-out
 * 2 → 3 under writes (blocked by a table without a key first, and a registrar restart in between), the documented
 * scale-in, a removal by hand, SIGTERM in the middle of a registration, a wiped data directory.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ScaleAndFaultsTest {
    private static final Duration SOON = Duration.ofSeconds(30);
    private static final String PASSWORD = Clusters.PASSWORD;
    private static final int PRELOADED_ROWS = 100_000;

    private LocalCitusCluster cluster;
    private Sql db;
    private LogCapture logs;
    private RunningRegistrar registrar;
    private String skipReason;
    @TempDir
    Path dir;

    @BeforeAll
    void start() {
        try {
            cluster = Clusters.scale();
        } catch (org.opentest4j.TestAbortedException e) {
            skipReason = e.getMessage();
            return;
        }
        db = cluster.coordinatorSql();
        logs = new LogCapture();
        registrar = new RunningRegistrar(env());
    }

    @BeforeEach
    void runnable() {
        Assumptions.assumeTrue(skipReason == null, skipReason);
    }

    @AfterAll
    void stop() throws InterruptedException {
        if (registrar != null) {
            registrar.close();
        }
        if (logs != null) {
            assertFalse(logs.text().contains(PASSWORD), "password in the log");
            logs.close();
        }
        if (cluster != null) {
            cluster.close();
        }
    }

    private Map<String, String> env(String... pairs) {
        Map<String, String> env = Clusters.scaleEnvironment(cluster);
        for (int i = 0; i < pairs.length; i += 2) {
            env.put(pairs[i], pairs[i + 1]);
        }
        return env;
    }

    private void restartRegistrar(String... pairs) throws InterruptedException {
        registrar.close();
        registrar = new RunningRegistrar(env(pairs));
    }

    // ---- SQL helpers -------------------------------------------------------------------------------------------

    /** pg_dist_node rows of workers: key → isactive. */
    private Map<HostPort, Boolean> workerRows() {
        Map<HostPort, Boolean> rows = new LinkedHashMap<>();
        for (var row : db.rows("select nodename, nodeport, isactive from pg_dist_node where groupid <> 0"
                + " order by nodeid", rs -> Map.entry(new HostPort(rs.getString(1), rs.getInt(2)), rs.getBoolean(3)))) {
            rows.put(row.getKey(), row.getValue());
        }
        return rows;
    }

    private HostPort w1() {
        return Clusters.hostPort(cluster, W1);
    }

    private HostPort w2() {
        return Clusters.hostPort(cluster, W2);
    }

    private HostPort w3() {
        return Clusters.hostPort(cluster, W3);
    }

    private boolean active(HostPort worker) {
        return Boolean.TRUE.equals(workerRows().get(worker));
    }

    private Optional<Status.Node> node(HostPort worker) {
        return registrar.status().nodes().stream()
                .filter(n -> n.name().equals(worker.host()) && n.port() == worker.port()).findFirst();
    }

    private void passes(int n) {
        long target = registrar.status().passes() + n;
        Await.until(SOON, n + " more passes", () -> registrar.status().passes() >= target);
    }

    private String metrics() {
        return registrar.registrar.metricsText();
    }

    private void assertNoPasswordOutside() {
        assertFalse(registrar.registrar.statusJson().contains(PASSWORD), "password in /status");
        assertFalse(metrics().contains(PASSWORD), "password in /metrics");
        assertFalse(logs.text().contains(PASSWORD), "password in the log");
    }

    /** count, and an md5 over every row in id order: equal only if no row was lost, duplicated or changed. */
    private String checksum(String table) {
        return db.value("select count(*) || ':' || md5(coalesce(string_agg(t::text, ',' order by t.id), ''))"
                + " from " + table + " t");
    }

    /** What items must hold if exactly rows 1..n were committed, as the preload and the writer write them. */
    private String expectedItems(long n) {
        return db.value("select count(*) || ':' || md5(coalesce(string_agg(row(g, md5(g::text))::text, ',' order by g),"
                + " '')) from generate_series(1, ?::bigint) g", n);
    }

    // ---- the story ---------------------------------------------------------------------------------------------

    @Test
    @Order(1)
    void registersWorkersAndRemembersTheirServerIds() {
        Await.until(SOON, "workers 1 and 2 active", () -> active(w1()) && active(w2()));
        Await.until(SOON, "both in known_workers", () -> db.number(
                "select count(*) from citus_registrar.known_workers where server_id is not null") == 2);
        String w1Id = cluster.sql(W1).value("select metadata->>'server_id' from pg_dist_node_metadata");
        assertEquals(w1Id, db.value("select server_id from citus_registrar.known_workers where nodeport = ?",
                w1().port()));
        Await.until(SOON, "rebalance checked", () -> registrar.status().rebalance() != null
                && registrar.status().rebalance().lastCheckAt() != null);
        assertEquals("idle", registrar.status().rebalance().state(), "no distributed tables: nothing owed");
        assertEquals(0, logs.count(Event.REBALANCE_STARTED));
    }

    @Test
    @Order(2)
    void twoRegistrarsAtOnceOnlyOneActs() throws Exception {
        try (RunningRegistrar second = new RunningRegistrar(env())) {
            Await.until(SOON, "second stands by", () -> "standby".equals(second.role()));
            HostPort w2 = w2();
            db.execute("select citus_disable_node(?, ?, synchronous := true)", w2.host(), w2.port());
            Await.until(SOON, "worker 2 active again", () -> active(w2));
            passes(3);
            assertEquals("leader", registrar.role());
            assertEquals("standby", second.role());
            assertTrue(metrics().contains("citus_registrar_activations_total 1\n"), metrics());
            assertTrue(second.registrar.metricsText().contains("citus_registrar_activations_total 0\n"));
            assertEquals(1, logs.count(Event.WORKER_ACTIVATED, w2.toString()), "activated once, by the leader");
        }
    }

    @Test
    @Order(3)
    void aKilledWorkerIsReportedOnEveryPassNeverRemovedAndRecovers() {
        HostPort w2 = w2();
        cluster.kill(W2);
        try {
            Await.until(SOON, "worker 2 reported lost", () -> node(w2).map(n -> Boolean.FALSE.equals(n.reachable()))
                    .orElse(false) && metrics().contains("citus_registrar_nodes{state=\"unreachable\"} 1\n"));
            assertEquals(1, logs.count(Event.WORKER_LOST, w2.toString()));
            passes(5);
            assertTrue(node(w2).orElseThrow().lastError().contains("TCP"), node(w2).toString());
            assertTrue(active(w2), "a lost worker is never removed or disabled");
            assertTrue(metrics().contains("citus_registrar_nodes{state=\"unreachable\"} 1\n"), "still reported");
        } finally {
            cluster.start(W2); // whatever happened above, the story goes on with it
        }
        Await.until(SOON, "worker 2 recovered", () -> logs.count(Event.WORKER_RECOVERED, w2.toString()) == 1);
        passes(3);
        assertTrue(active(w2), "stays active");
        assertEquals(Boolean.TRUE, node(w2).orElseThrow().reachable());
        assertFalse(node(w2).orElseThrow().reinitialised(), "same data directory: same server_id");
        assertEquals(0, logs.count(Event.WORKER_REINITIALISED));
        Await.until(SOON, "no worker unreachable", () -> metrics().contains(
                "citus_registrar_nodes{state=\"unreachable\"} 0\n"));
    }

    @Test
    @Order(4)
    void dnsFailingForAWhileRemovesNothingAndRecovers() {
        // The JDK's hosts-file resolver (jdk.net.hosts.file) reads the file on every lookup and the JVM's address
        // cache is off (test-java.security, as Main sets it), so rewriting the file takes effect on the next pass.
        Map<HostPort, Boolean> before = workerRows();
        TestHosts.unmap(cluster.coordinatorName()); // the workers' name; the open coordinator session stays
        try {
            for (HostPort worker : List.of(w1(), w2())) {
                Await.until(SOON, worker + " reported as not resolving", () -> node(worker)
                        .map(n -> Boolean.FALSE.equals(n.reachable()) && n.lastError() != null
                                && n.lastError().contains("does not resolve")).orElse(false));
            }
            passes(5);
            assertEquals(before, workerRows(), "nothing removed or disabled while DNS fails");
            Await.until(SOON, "both counted unreachable", () -> metrics().contains(
                    "citus_registrar_nodes{state=\"unreachable\"} 2\n"));
            assertEquals(0, logs.count(Event.WORKER_REMOVED_BY_USER));
        } finally {
            TestHosts.map(cluster.coordinatorName(), "127.0.0.1");
        }
        Await.until(SOON, "both reachable again", () -> node(w1()).map(n -> Boolean.TRUE.equals(n.reachable()))
                .orElse(false) && node(w2()).map(n -> Boolean.TRUE.equals(n.reachable())).orElse(false));
        assertEquals(before, workerRows());
        Await.until(SOON, "none counted unreachable", () -> metrics().contains(
                "citus_registrar_nodes{state=\"unreachable\"} 0\n"));
    }

    @Test
    @Order(5)
    void coordinatorRestartedInTheMiddleOfAPass() throws Exception {
        Map<HostPort, Boolean> before = workerRows();
        long lost = logs.count(Event.LEADERSHIP_LOST);
        // Hold the pass up on a lock so the restart lands while a statement of the pass is in flight.
        Connection holder = cluster.connectCoordinator();
        holder.setAutoCommit(false);
        holder.createStatement().execute("lock table citus_registrar.retired_workers in access exclusive mode");
        Await.until(SOON, "a pass waits on the lock", () -> db.number("select count(*) from pg_stat_activity where"
                + " application_name = 'citus-registrar' and wait_event_type = 'Lock'") == 1);
        cluster.kill(COORDINATOR);
        holder.close();
        try {
            Await.until(SOON, "session loss noticed", () -> !registrar.status().coordinatorReachable());
        } finally {
            cluster.coordinator().start();
        }
        Await.until(SOON, "leader again", () -> "leader".equals(registrar.role())
                && registrar.status().coordinatorReachable() && registrar.status().rebalance() != null);
        assertTrue(logs.count(Event.LEADERSHIP_LOST) > lost);
        assertEquals(before, workerRows(), "pg_dist_node unchanged");
        HostPort w1 = w1();
        db.execute("select citus_disable_node(?, ?, synchronous := true)", w1.host(), w1.port());
        Await.until(SOON, "the registrar acts again: worker 1 re-activated", () -> active(w1));
        assertTrue(registrar.alive());
    }

    @Test
    @Order(6)
    void scaleOutTwoToThreeUnderWritesLosesNoRow() throws Exception {
        db.execute("set citus.shard_count = 6; create table items (id bigint primary key, v text);"
                + " select create_distributed_table('items', 'id');"
                + " create table nokey (id bigint, v text); select create_distributed_table('nokey', 'id', colocate_with"
                + " := 'items');"
                + " create table countries (id int primary key, name text); select create_reference_table('countries');"
                + " insert into countries select g, 'country ' || g from generate_series(1, 50) g;"
                + " insert into nokey select g, 'x' from generate_series(1, 1000) g;");
        db.execute("insert into items select g, md5(g::text) from generate_series(1, ?::bigint) g", PRELOADED_ROWS);
        String dataSize = db.value("select pg_size_pretty(citus_total_relation_size('items'))");
        long shards = db.number("select count(*) from pg_dist_shard where logicalrelid = 'items'::regclass");

        try (Writer writer = new Writer(cluster, PRELOADED_ROWS + 1)) {
            cluster.start(W3);
            HostPort w3 = w3();
            Await.until(SOON, "worker 3 active", () -> active(w3));

            // Blocked: a table without a key stops the whole online rebalance; the worker stays registered.
            Await.until(SOON, "rebalance blocked", () -> "blocked".equals(registrar.status().rebalance().state()));
            Status.Rebalance blocked = registrar.status().rebalance();
            assertEquals(List.of("public.nokey"), blocked.blockedTables());
            assertTrue(blocked.fix().contains("REPLICA IDENTITY FULL") && blocked.fix().contains("block_writes"),
                    blocked.fix());
            assertEquals(List.of(w3.toString()), blocked.workersWithoutShards());
            assertTrue(logs.lines().stream().anyMatch(l -> Event.REBALANCE_BLOCKED.id().equals(
                    LogCapture.field(l, "event")) && l.getFormattedMessage().contains(
                    "ALTER TABLE public.nokey REPLICA IDENTITY FULL;")));
            assertTrue(metrics().contains("citus_registrar_rebalance_blocked_tables 1\n"));
            assertEquals(0, logs.count(Event.REBALANCE_STARTED));
            assertTrue(active(w3));

            // A registrar restart between the add and the rebalance: the owed rebalance is read from the catalog.
            restartRegistrar();
            Await.until(SOON, "new registrar sees it blocked", () -> registrar.status().rebalance() != null
                    && "blocked".equals(registrar.status().rebalance().state()));
            db.execute("alter table nokey replica identity full");
            long fixedAt = System.nanoTime();
            Await.until(Duration.ofSeconds(60), "rebalance started after the fix",
                    () -> logs.count(Event.REBALANCE_STARTED) == 1);
            long startedAfterFix = Duration.ofNanos(System.nanoTime() - fixedAt).toMillis();
            boolean[] sawRunning = {false};
            Await.until(Duration.ofSeconds(150), "rebalance finished", () -> {
                Status.Rebalance r = registrar.status().rebalance();
                if ("running".equals(r.state()) && metrics().contains("citus_registrar_rebalance_running 1\n")) {
                    sawRunning[0] = true;
                }
                return logs.count(Event.REBALANCE_FINISHED) == 1;
            });
            assertTrue(sawRunning[0], "/status and /metrics showed the job running");
            assertTrue(logs.count(Event.REBALANCE_PROGRESS) >= 1);
            Thread.sleep(1000); // the writer keeps going after the switch-over
            writer.close();

            long committed = writer.lastCommitted();
            assertEquals(expectedItems(committed), checksum("items"), "every committed row, exactly once");
            assertTrue(db.number("select count(*) from citus_shards where table_name = 'items'::regclass"
                    + " and nodeport = ?", w3.port()) > 0, "shards moved to worker 3");
            assertEquals(1, db.number("select count(*) from citus_shards where table_name = 'countries'::regclass"
                    + " and nodeport = ?", w3.port()), "the reference table reached worker 3");
            assertEquals(50, Long.parseLong(cluster.sql(W3).value(
                    "select count(*) from countries_" + db.value("select shardid from pg_dist_shard where logicalrelid"
                            + " = 'countries'::regclass"))));
            Status.Rebalance done = registrar.status().rebalance();
            assertEquals("finished", done.jobState());
            assertEquals(done.tasksTotal(), done.tasksDone());
            assertTrue(metrics().contains("citus_registrar_rebalances_started_total 1\n"), metrics());
            assertTrue(metrics().contains("citus_registrar_rebalance_running 0\n"));
            String seconds = db.value("select extract(epoch from finished_at - started_at)::numeric(10,1)"
                    + " from citus_rebalance_status()");
            System.out.println("SCALE-OUT 2->3 under writes: items " + shards + " shards (+ colocated nokey, reference"
                    + " table countries), " + PRELOADED_ROWS + " rows preloaded, " + dataSize + " before; "
                    + (committed - PRELOADED_ROWS) + " single-row INSERTs committed by the writer during the run; "
                    + done.tasksTotal() + " rebalance tasks in " + seconds + " s (started " + startedAfterFix
                    + " ms after the fix); rows checked " + committed + ", lost 0; writer errors: "
                    + writer.errors());
            assertEquals(Map.of(), writer.errors(), "the writer saw no error");
            assertNoPasswordOutside();
        }
    }

    @Test
    @Order(7)
    void documentedScaleInKeepsEveryRowAndTheRegistrarRespectsIt() throws Exception {
        HostPort w3 = w3();
        String items = checksum("items");
        String countries = checksum("countries");
        // Exactly the statement SCALING.md gives.
        db.execute("insert into citus_registrar.retired_workers (nodename, note) values (?, 'scaling in')"
                + " on conflict (nodename) do nothing", w3.host());
        IllegalStateException refused = assertThrows(IllegalStateException.class,
                () -> db.execute("select citus_remove_node(?, ?)", w3.host(), w3.port()));
        assertTrue(refused.getMessage().contains("only shard placement"), refused.getMessage());
        long drainStart = System.nanoTime();
        db.execute("select citus_drain_node(?, ?)", w3.host(), w3.port());
        long drainMillis = Duration.ofNanos(System.nanoTime() - drainStart).toMillis();
        db.execute("select citus_remove_node(?, ?)", w3.host(), w3.port());
        System.out.println("SCALE-IN: drained worker 3 in " + drainMillis + " ms, removed; items " + items);
        assertEquals(items, checksum("items"), "items identical after drain and remove");
        assertEquals(countries, checksum("countries"));

        Await.until(SOON, "registrar forgets the retired worker", () -> logs.count(Event.WORKER_FORGOTTEN,
                w3.toString()) == 1);
        passes(5);
        assertFalse(workerRows().containsKey(w3), "a retired worker that still answers is not re-added");
        assertTrue(registrar.status().candidates().stream().anyMatch(c -> c.port() == w3.port()
                && "retired".equals(c.state())));
        assertEquals(0, db.number("select count(*) from citus_registrar.known_workers where nodeport = ?", w3.port()));

        // Deleting the row re-admits it; with REBALANCE_ON_JOIN=false the registrar only says a rebalance is owed.
        restartRegistrar("REBALANCE_ON_JOIN", "false");
        db.execute("delete from citus_registrar.retired_workers where nodename = ?", w3.host());
        Await.until(SOON, "worker 3 re-admitted", () -> active(w3));
        Await.until(SOON, "rebalance needed", () -> "needed".equals(registrar.status().rebalance().state()));
        assertEquals(1, logs.count(Event.REBALANCE_NEEDED));
        passes(3);
        assertTrue(metrics().contains("citus_registrar_rebalances_started_total 0\n"));
        assertEquals("finished", db.value("select state::text from citus_rebalance_status()"), "no new job");
    }

    @Test
    @Order(8)
    void aWorkerRemovedByHandIsRetiredNotReAdded() {
        HostPort w3 = w3();
        db.execute("select citus_remove_node(?, ?)", w3.host(), w3.port());
        Await.until(SOON, "removal by hand noticed", () -> logs.count(Event.WORKER_REMOVED_BY_USER, w3.toString()) == 1);
        assertEquals(KnownWorkers.REMOVED_NOTE, db.value("select note from citus_registrar.retired_workers"
                + " where nodename = ?", w3.host()));
        passes(5);
        assertFalse(workerRows().containsKey(w3), "never re-added automatically");
        assertTrue(metrics().contains("citus_registrar_workers_removed_by_user_total 1\n"));
    }

    @Test
    @Order(9)
    void sigtermInTheMiddleOfARegistrationLeavesTheClusterConsistent() throws Exception {
        HostPort w3 = w3();
        registrar.close();
        db.execute("delete from citus_registrar.retired_workers where nodename = ?", w3.host());
        RegistrarProcess child;
        try (Connection holder = cluster.connectCoordinator()) {
            // citus_add_node needs a lock this holds, so the child's registration is in flight when SIGTERM comes.
            holder.setAutoCommit(false);
            holder.createStatement().execute("lock table pg_catalog.pg_dist_node in exclusive mode");
            child = RegistrarProcess.fromClassPath().env(env("LOG_FORMAT", "json", "REBALANCE_ON_JOIN", "false"))
                    .start();
            try {
                Await.until(SOON, "citus_add_node waiting", () -> db.number("select count(*) from pg_stat_activity"
                        + " where application_name = 'citus-registrar' and wait_event_type = 'Lock'"
                        + " and query like '%citus_add_node%'") == 1);
                long start = System.nanoTime();
                child.terminate(); // SIGTERM
                assertTrue(child.waitFor(Duration.ofSeconds(5)), "exited within 5 s");
                System.out.println("SIGTERM mid-registration: exit " + child.exitValue() + " after "
                        + Duration.ofNanos(System.nanoTime() - start).toMillis() + " ms");
                assertEquals(0, child.exitValue(), child.stderr());
            } finally {
                child.kill();
            }
            holder.rollback();
        }
        String output = child.stdout() + child.stderr();
        assertFalse(output.contains(PASSWORD), "password in the child's output");
        assertTrue(output.contains("\"event\":\"registrar-stopping\""), output);
        // The abandoned statement either completed or not; never half.
        Thread.sleep(1000);
        long rows = db.number("select count(*) from pg_dist_node where nodeport = ?", w3.port());
        System.out.println("after SIGTERM: worker 3 rows in pg_dist_node = " + rows);
        assertTrue(rows <= 1);

        registrar = new RunningRegistrar(env("REBALANCE_ON_JOIN", "false"));
        Await.until(SOON, "the next registrar finishes the job", () -> active(w3)
                && db.number("select count(*) from citus_registrar.known_workers where nodeport = ?", w3.port()) == 1);
        assertEquals(1, db.number("select count(*) from pg_dist_node where nodeport = ?", w3.port()));
    }

    @Test
    @Order(10)
    void aWipedWorkerIsReportedAndNeverActivated() throws Exception {
        HostPort w3 = w3();
        String recorded = db.value("select server_id from citus_registrar.known_workers where nodeport = ?", w3.port());
        assertNotNull(recorded);
        cluster.kill(W3);
        Await.until(SOON, "worker 3 lost", () -> logs.count(Event.WORKER_LOST, w3.toString()) >= 1
                && node(w3).map(n -> Boolean.FALSE.equals(n.reachable())).orElse(false));
        db.execute("select citus_disable_node(?, ?, synchronous := true)", w3.host(), w3.port());
        long activations = logs.count(Event.WORKER_ACTIVATED, w3.toString());
        cluster.wipe(W3); // the next start runs initdb and creates citus again
        cluster.start(W3);
        assertFalse(recorded.equals(cluster.sql(W3).value(
                "select metadata->>'server_id' from pg_dist_node_metadata")), "a new data directory, a new server_id");

        Await.until(SOON, "reinitialised reported", () -> logs.count(Event.WORKER_REINITIALISED, w3.toString()) == 1);
        Await.until(SOON, "shown in /status", () -> node(w3).map(Status.Node::reinitialised).orElse(false));
        assertTrue(node(w3).orElseThrow().lastError().contains("restore"), node(w3).toString());
        assertTrue(metrics().contains("citus_registrar_workers_reinitialised 1\n"), metrics());
        passes(8);
        assertFalse(active(w3), "never activated");
        assertEquals(activations, logs.count(Event.WORKER_ACTIVATED, w3.toString()));
        assertEquals(recorded, db.value("select server_id from citus_registrar.known_workers where nodeport = ?",
                w3.port()), "the recorded id is never overwritten");

        // Checked again at registrar start.
        restartRegistrar("REBALANCE_ON_JOIN", "false");
        Await.until(SOON, "reported again by the next registrar",
                () -> logs.count(Event.WORKER_REINITIALISED, w3.toString()) == 2);
        passes(3);
        assertFalse(active(w3));
        assertNoPasswordOutside();
        assertTrue(Files.isDirectory(dir));
    }
}
