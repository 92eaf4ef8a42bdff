package org.citusrailway.template;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.StringReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.citusrailway.testkit.Await;
import org.citusrailway.testkit.ComposeProject;
import org.citusrailway.testkit.ComposeProject.Result;
import org.citusrailway.testkit.DockerEngine;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;
import org.postgresql.copy.CopyManager;

/**
 * The pooled URL for real: the compose cluster with the pooler image built from this repository (PgBouncer in
 * transaction mode, TLS both sides, SCRAM with the cluster's password), its coordinator held to max_connections 40.
 * pgjdbc through it as applications use it: server-side prepared statements, a multi-shard transaction (two-phase
 * commit), a reference-table write, COPY, 200 clients at once, the pooler killed under writes; the pool's size
 * following the coordinator's CPU quota and POOLER_POOL_SIZE; the refusals; and what
 * needs the unpooled URL (advisory locks, LISTEN/NOTIFY) working there. Skips within seconds where there is no engine
 * or no base image (nothing is pulled).
 */
class ComposePoolerTest {
    private static final Path ROOT = ProjectFiles.root();
    private static final List<String> BASE_IMAGES = List.of("citusdata/citus:13.2.0", "eclipse-temurin:25-jdk",
            "debian:bookworm-slim");
    private static final String PROJECT = "citus-pooler-test";
    private static final String PASSWORD = "poolerTestPassword1";
    private static final String POOLED = "jdbc:postgresql://127.0.0.1:6432/postgres";
    private static final String UNPOOLED = "jdbc:postgresql://127.0.0.1:5432/postgres";

    /** The pooler's rule (pooler/entrypoint.sh): connections per CPU of the coordinator, and the smallest pool. */
    private static final int POOL_PER_CPU = 4;
    private static final int POOL_FLOOR = 8;
    /** max_connections 40 less the superuser reserve (3) and POOLER_RESERVED_CONNECTIONS (10). */
    private static final int POOL_CAP = 27;
    private static final String ENV = "POSTGRES_PASSWORD=" + PASSWORD + "\nNODE_MEMORY_LIMIT=1g\n";

    private static Optional<String> unusable;
    private static Path dir;
    private static Path envFile;
    private static ComposeProject project;

    @BeforeAll
    static void startTheClusterWithItsPooler() throws IOException {
        unusable = DockerEngine.unusableBecause(BASE_IMAGES);
        if (unusable.isPresent()) {
            return;
        }
        dir = Files.createTempDirectory("compose-pooler-test-");
        envFile = dir.resolve("test.env");
        Files.writeString(envFile, ENV);
        // A small coordinator, as a 512 MB one on Railway: 40 connections for 200 clients.
        Files.writeString(dir.resolve("small.override.yml"),
                "services:\n  coordinator:\n    environment:\n      POSTGRES_MAX_CONNECTIONS: 40\n");
        project = new ComposeProject(PROJECT, envFile, ROOT);
        compose(Duration.ofMinutes(2), "down", "-v", "--remove-orphans");
        assertOk(compose(Duration.ofMinutes(25), "build"), "docker compose build");
        assertOk(compose(Duration.ofMinutes(5), "up", "-d", "--wait"), "docker compose up -d --wait");
        try (Connection c = connect(UNPOOLED, PASSWORD, "require", 5); Statement s = c.createStatement()) {
            Await.until(Duration.ofMinutes(2), "two active workers", () -> {
                try (ResultSet rs = s.executeQuery("select count(*) from pg_dist_node where isactive and groupid <> 0")) {
                    return rs.next() && rs.getInt(1) == 2;
                } catch (SQLException e) {
                    return false;
                }
            });
            s.execute("create table items (id bigint primary key, note text)");
            s.execute("select create_distributed_table('items', 'id')");
            s.execute("create table kinds (k int primary key)");
            s.execute("select create_reference_table('kinds')");
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    @AfterAll
    static void stopTheCluster() throws IOException {
        if (project != null) {
            compose(Duration.ofMinutes(3), "down", "-v", "--remove-orphans");
            try (var files = Files.walk(dir)) {
                for (Path p : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    @BeforeEach
    void skipWhereTheImagesCannotRun() {
        assumeTrue(unusable.isEmpty(), () -> unusable.orElseThrow() + ", so the pooler cannot be tested here");
    }

    /**
     * pgjdbc's defaults turn a statement used five times into a server-side prepared statement, and prepareThreshold=1
     * does so at once: PgBouncer 1.21+ keeps them working while the transactions land on other coordinator backends.
     */
    @Test
    void preparedStatementsTransactionsAndCopyWorkThroughThePool() throws Exception {
        try (ExecutorService pool = Executors.newFixedThreadPool(8)) {
            List<Future<Integer>> runs = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                int base = 1_000_000 * (t + 1);
                int threshold = t % 2 == 0 ? 5 : 1; // pgjdbc's default, and a named statement from the first use
                runs.add(pool.submit(() -> {
                    Properties extra = new Properties();
                    extra.setProperty("prepareThreshold", Integer.toString(threshold));
                    try (Connection c = connect(POOLED, PASSWORD, "require", 5, extra);
                            PreparedStatement insert = c.prepareStatement("insert into items values (?, ?)");
                            PreparedStatement read = c.prepareStatement("select note from items where id = ?")) {
                        int done = 0;
                        for (int i = 0; i < 30; i++) {
                            insert.setLong(1, base + i);
                            insert.setString(2, "n" + i);
                            insert.executeUpdate();
                            read.setLong(1, base + i);
                            try (ResultSet rs = read.executeQuery()) {
                                assertTrue(rs.next());
                                assertEquals("n" + i, rs.getString(1));
                            }
                            done++;
                        }
                        return done;
                    }
                }));
            }
            for (Future<Integer> run : runs) {
                assertEquals(30, run.get());
            }
        }

        try (Connection c = connect(POOLED, PASSWORD, "require", 5); Statement s = c.createStatement()) {
            // One transaction over every shard: Citus commits it with two-phase commit, on one pooled backend.
            c.setAutoCommit(false);
            s.execute("insert into items select g, 'tx' from generate_series(1, 500) g");
            s.execute("insert into kinds select generate_series(1, 10)");
            c.commit();
            c.setAutoCommit(true);
            assertEquals(500, count(s, "select count(*) from items where note = 'tx'"));
            assertEquals(10, count(s, "select count(*) from kinds"));
            assertEquals(0, count(s, "select count(*) from pg_prepared_xacts"), "no two-phase commit left behind");

            CopyManager copy = c.unwrap(PGConnection.class).getCopyAPI();
            StringBuilder rows = new StringBuilder();
            for (int i = 0; i < 10_000; i++) {
                rows.append(2_000_000_000L + i).append("\tcopied\n");
            }
            assertEquals(10_000, copy.copyIn("copy items from stdin", new StringReader(rows.toString())));
            assertEquals(10_000, count(s, "select count(*) from items where note = 'copied'"));
        }
    }

    /** 200 clients at once against a coordinator of 40 connections: every one served, none refused. */
    @Test
    void twoHundredClientsShareFortyConnectionsWithoutARefusal() throws Exception {
        int clients = 200;
        AtomicInteger refused = new AtomicInteger();
        AtomicInteger served = new AtomicInteger();
        List<String> errors = new ArrayList<>();
        CountDownLatch start = new CountDownLatch(1);
        try (ExecutorService threads = Executors.newFixedThreadPool(clients)) {
            for (int t = 0; t < clients; t++) {
                long id = 3_000_000_000L + t;
                threads.submit(() -> {
                    try {
                        start.await();
                        try (Connection c = connect(POOLED, PASSWORD, "require", 30); Statement s = c.createStatement()) {
                            for (int i = 0; i < 5; i++) {
                                s.execute("insert into items values (" + (id * 10 + i) + ", 'crowd')");
                                count(s, "select count(*) from items"); // a multi-shard query: connections to every worker
                            }
                            served.incrementAndGet();
                        }
                    } catch (SQLException e) {
                        refused.incrementAndGet();
                        synchronized (errors) {
                            errors.add(e.getMessage());
                        }
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    return null;
                });
            }
            start.countDown();
        }
        assertEquals(0, refused.get(), "refused or failed: " + errors.stream().distinct().limit(5).toList());
        assertEquals(clients, served.get());
        try (Connection c = connect(UNPOOLED, PASSWORD, "require", 5); Statement s = c.createStatement()) {
            assertEquals(clients * 5, count(s, "select count(*) from items where note = 'crowd'"));
            assertEquals(40, count(s, "select current_setting('max_connections')::int"));
        }
    }

    @Test
    void aLoginWithoutTlsOrWithAWrongPasswordIsRefused() {
        assertThrows(SQLException.class, () -> connect(POOLED, PASSWORD, "disable", 5).close());
        Result plain = ComposeProject.run(Duration.ofSeconds(20), java.util.Map.of("PGPASSWORD", PASSWORD), ROOT,
                "psql", "-X", "-c", "select 1", "host=127.0.0.1 port=6432 user=postgres dbname=postgres sslmode=disable");
        assertTrue(plain.code() != 0 && plain.out().contains("SSL required"), plain.out());
        SQLException wrong = assertThrows(SQLException.class, () -> connect(POOLED, "not-the-password", "require", 5)
                .close());
        assertTrue(wrong.getMessage().contains("authentication failed"), wrong.getMessage());
    }

    /**
     * The pooler SIGKILLed while four writers commit: their connections break, they reconnect once it is back (the
     * restart policy), and every row acknowledged before or after is there exactly once.
     */
    @Test
    void thePoolerKilledUnderWritesComesBackAndLosesNoAcknowledgedRow() throws Exception {
        Set<Long> acknowledged = ConcurrentHashMap.newKeySet();
        AtomicBoolean writing = new AtomicBoolean(true);
        AtomicLong next = new AtomicLong(4_000_000_000L);
        AtomicInteger reconnects = new AtomicInteger();
        try (ExecutorService writers = Executors.newFixedThreadPool(4)) {
            for (int w = 0; w < 4; w++) {
                writers.submit(() -> {
                    while (writing.get()) {
                        try (Connection c = connect(POOLED, PASSWORD, "require", 5);
                                PreparedStatement insert = c.prepareStatement("insert into items values (?, 'kept')")) {
                            while (writing.get()) {
                                long id = next.incrementAndGet();
                                insert.setLong(1, id);
                                insert.executeUpdate();
                                acknowledged.add(id);
                            }
                        } catch (SQLException e) {
                            reconnects.incrementAndGet();
                            sleep(200);
                        }
                    }
                    return null;
                });
            }
            try {
                sleep(3_000);
                // SIGKILL to its first process from the host, as a crash: the engine restarts it (restart policy);
                // "docker kill" would count as a stop by hand, which the policy leaves stopped.
                String pid = compose(Duration.ofSeconds(30), "ps", "-q", "pooler").out().strip();
                pid = ComposeProject.run(Duration.ofSeconds(30), java.util.Map.of(), ROOT, "docker", "inspect", "-f",
                        "{{.State.Pid}}", pid).out().strip();
                assertOk(ComposeProject.run(Duration.ofSeconds(30), java.util.Map.of(), ROOT, "kill", "-9", pid),
                        "kill -9 " + pid);
                Await.until(Duration.ofSeconds(30), "the writers' connections broken", () -> reconnects.get() >= 4);
                int after = acknowledged.size();
                Await.until(Duration.ofMinutes(2), "writes through the restarted pooler",
                        () -> acknowledged.size() > after + 200);
            } finally {
                writing.set(false);
            }
        }
        try (Connection c = connect(UNPOOLED, PASSWORD, "require", 5); Statement s = c.createStatement()) {
            long rows = count(s, "select count(*) from items where note = 'kept'");
            long missing = 0;
            try (PreparedStatement present = c.prepareStatement("select count(*) from items where id = any (?)")) {
                present.setArray(1, c.createArrayOf("bigint", acknowledged.toArray()));
                try (ResultSet rs = present.executeQuery()) {
                    rs.next();
                    missing = acknowledged.size() - rs.getLong(1);
                }
            }
            assertEquals(0, missing, "every acknowledged row is there");
            // A write the pooler's death interrupted may have committed without its acknowledgement: one per writer.
            assertTrue(rows - acknowledged.size() <= reconnects.get(), rows + " rows, " + acknowledged.size()
                    + " acknowledged, " + reconnects.get() + " broken connections");
        }
    }

    /**
     * The pool follows the coordinator's CPU allowance, as Railway sets it (a cgroup CPU quota, changed here with
     * {@code docker update --cpus} on the running coordinator), and POOLER_POOL_SIZE overrides it: each time the
     * pooler is started again, and the connections it really opens to the coordinator under 60 waiting clients are
     * counted on the coordinator.
     */
    @Test
    void thePoolFollowsTheCoordinatorsCpusAndTheOverride() throws Exception {
        String coordinator = compose(Duration.ofSeconds(30), "ps", "-q", "coordinator").out().strip();
        try {
            for (double cpus : new double[] {0.5, 1.5, 2}) {
                assertOk(ComposeProject.run(Duration.ofSeconds(30), java.util.Map.of(), ROOT, "docker", "update",
                        "--cpus", Double.toString(cpus), coordinator), "docker update --cpus " + cpus);
                String line = restartPooler("");
                int expected = Math.min(POOL_CAP, Math.max(POOL_FLOOR, (int) Math.ceil(POOL_PER_CPU * cpus)));
                String shown = cpus == Math.rint(cpus) ? Long.toString((long) cpus) : Double.toString(cpus);
                assertTrue(line.contains("into " + expected + " connections ") && line.contains(POOL_PER_CPU
                        + " per CPU of the coordinator's " + shown + " (cgroup v"), line);
                assertEquals(expected, serverConnectionsUnderLoad(60), "coordinator connections at " + cpus + " CPUs");
            }
            String line = restartPooler("5");
            assertTrue(line.contains("into 5 connections ") && line.contains("(POOLER_POOL_SIZE=5)"), line);
            assertEquals(5, serverConnectionsUnderLoad(60));

            line = restartPooler("500");
            assertTrue(line.contains("into " + POOL_CAP + " connections ") && line.contains(
                    "POOLER_POOL_SIZE=500, capped at its max_connections less 10 kept for direct connections"), line);
            assertTrue(compose(Duration.ofSeconds(30), "logs", "pooler").out().contains(
                    "warning [pooler-pool-size-capped]: POOLER_POOL_SIZE=500 is more than"), "the capped warning");
            assertEquals(POOL_CAP, serverConnectionsUnderLoad(60));

            for (String bad : List.of("0", "-3", "eight", "1.5")) {
                Result refused = compose(Duration.ofMinutes(1), "run", "--rm", "--no-deps", "-e",
                        "POOLER_POOL_SIZE=" + bad, "pooler");
                List<String> lines = refused.out().lines().filter(l -> l.contains("citus-pooler:"))
                        .map(l -> l.substring(l.indexOf("citus-pooler:"))).toList();
                assertEquals(2, refused.code(), refused.out());
                assertEquals(List.of("citus-pooler: error [pooler-setting-invalid]: POOLER_POOL_SIZE='" + bad
                        + "' must be a whole number from 1 up, or empty to size the pool from the coordinator's CPUs"),
                        lines, refused.out());
            }
        } finally {
            ComposeProject.run(Duration.ofSeconds(30), java.util.Map.of(), ROOT, "docker", "update", "--cpu-quota", "-1",
                    coordinator);
            restartPooler("");
        }
    }

    /** Starts the pooler again with POOLER_POOL_SIZE (empty: unset), waits until it is healthy, returns its start line. */
    private static String restartPooler(String poolSize) throws IOException {
        Files.writeString(envFile, ENV + (poolSize.isEmpty() ? "" : "POOLER_POOL_SIZE=" + poolSize + "\n"));
        assertOk(compose(Duration.ofMinutes(2), "up", "-d", "--wait", "--force-recreate", "--no-deps", "pooler"),
                "docker compose up pooler");
        List<String> lines = compose(Duration.ofSeconds(30), "logs", "--no-log-prefix", "pooler").out().lines()
                .filter(l -> l.contains("citus-pooler: pooling "))
                .map(l -> l.substring(l.indexOf("citus-pooler: "))) // compose may start it with a control sequence
                .toList();
        assertEquals(1, lines.size(), "one start line: " + lines);
        return lines.getFirst();
    }

    /**
     * Clients that each run short sleeps through the pool, more of them than any pool here: the most coordinator
     * backends the pooler holds at once while they run, counted on the coordinator by the pooler's address.
     */
    private static int serverConnectionsUnderLoad(int clients) throws Exception {
        AtomicBoolean running = new AtomicBoolean(true);
        CountDownLatch connected = new CountDownLatch(clients);
        int most = 0;
        try (ExecutorService threads = Executors.newFixedThreadPool(clients);
                Connection direct = connect(UNPOOLED, PASSWORD, "require", 5);
                PreparedStatement backends = direct.prepareStatement("select count(*) from pg_stat_activity"
                        + " where backend_type = 'client backend' and client_addr = ?::inet")) {
            String pooler;
            try (Connection c = connect(POOLED, PASSWORD, "require", 5); Statement s = c.createStatement();
                    ResultSet rs = s.executeQuery("select host(inet_client_addr())")) {
                rs.next();
                pooler = rs.getString(1);
            }
            List<Future<Object>> runs = new ArrayList<>();
            for (int t = 0; t < clients; t++) {
                runs.add(threads.submit(() -> {
                    try (Connection c = connect(POOLED, PASSWORD, "require", 30); Statement s = c.createStatement()) {
                        connected.countDown();
                        while (running.get()) {
                            s.execute("select pg_sleep(0.05)");
                        }
                    }
                    return null;
                }));
            }
            try {
                connected.await();
                backends.setString(1, pooler);
                long until = System.nanoTime() + Duration.ofSeconds(4).toNanos();
                while (System.nanoTime() < until) {
                    most = Math.max(most, (int) count(backends));
                    Thread.sleep(100);
                }
            } finally {
                running.set(false);
            }
            for (Future<Object> run : runs) {
                run.get();
            }
        }
        return most;
    }

    private static long count(PreparedStatement query) throws SQLException {
        try (ResultSet rs = query.executeQuery()) {
            rs.next();
            return rs.getLong(1);
        }
    }

    /** What needs a session of its own: an advisory lock and LISTEN/NOTIFY, on the unpooled URL. */
    @Test
    void advisoryLocksAndListenWorkOnTheUnpooledUrl() throws Exception {
        try (Connection listener = connect(UNPOOLED, PASSWORD, "require", 5);
                Connection other = connect(UNPOOLED, PASSWORD, "require", 5);
                Statement l = listener.createStatement(); Statement o = other.createStatement()) {
            assertEquals(1, count(l, "select pg_try_advisory_lock(42)::int"));
            assertEquals(0, count(o, "select pg_try_advisory_lock(42)::int"), "held by the first session");
            l.execute("listen jobs");
            o.execute("notify jobs, 'ready'");
            PGNotification[] notes = listener.unwrap(PGConnection.class).getNotifications(10_000);
            assertNotNull(notes);
            assertEquals("ready", notes[0].getParameter());
        }
    }

    private static Connection connect(String url, String password, String sslmode, int timeoutSeconds)
            throws SQLException {
        return connect(url, password, sslmode, timeoutSeconds, new Properties());
    }

    private static Connection connect(String url, String password, String sslmode, int timeoutSeconds,
            Properties extra) throws SQLException {
        Properties props = new Properties();
        props.putAll(extra);
        props.setProperty("user", "postgres");
        props.setProperty("password", password);
        props.setProperty("sslmode", sslmode);
        props.setProperty("connectTimeout", Integer.toString(timeoutSeconds));
        return DriverManager.getConnection(url, props);
    }

    private static long count(Statement s, String sql) throws SQLException {
        try (ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private static Result compose(Duration timeout, String... arguments) {
        List<String> all = new ArrayList<>(List.of("-f", ROOT.resolve("docker-compose.yml").toString(), "-f",
                dir.resolve("small.override.yml").toString()));
        all.addAll(List.of(arguments));
        return project.compose(timeout, all.toArray(String[]::new));
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void assertOk(Result result, String what) {
        assertEquals(0, result.code(), what + " failed:\n" + result.out());
    }
}
