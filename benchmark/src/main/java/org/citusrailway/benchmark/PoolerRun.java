package org.citusrailway.benchmark;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import org.citusrailway.testkit.ComposeProject;
import org.citusrailway.testkit.DockerEngine;

/**
 * The pooled URL against the direct one, through the compose cluster as it is (the pooler image, PgBouncer in
 * transaction mode, in front of a 1 GiB coordinator with max_connections 51, its pool sized from the coordinator's
 * CPUs): for 10, 50, 200 and 1000 clients, each its own connection running a short transaction after another (a
 * single-row update and a single-row read by distribution key) for the given seconds, the throughput, the p50/p99
 * transaction time and how many clients could not connect at all; then the time of a new TLS login, pooled and
 * direct. Goals: no client refused through the pool at any level, and the pooled throughput at 200 clients at least
 * the direct path's best. With {@code --pool-sizes}, the pooler is then started again with each POOLER_POOL_SIZE in
 * turn, twice (the second round in the opposite order), and the pooled path measured at 200 clients: the figures the
 * default pool size is chosen from.
 *
 * <p>Usage, from the repository root: {@code java -cp benchmark/target/benchmark.jar
 * org.citusrailway.benchmark.PoolerRun [--seconds 20] [--pool-sizes 4,8,16,38]}
 */
public final class PoolerRun {
    private static final Path ROOT = Path.of("").toAbsolutePath();
    private static final List<String> BASE_IMAGES = List.of("citusdata/citus:13.2.0", "eclipse-temurin:25-jdk",
            "debian:bookworm-slim");
    private static final String PROJECT = "citus-pooler-run";
    private static final String PASSWORD = "poolerRunPassword1";
    private static final int POOLED = 6432;
    private static final int DIRECT = 5432;
    private static final int[] CLIENTS = {10, 50, 200, 1000};

    private record Level(long transactions, double seconds, long refused, long failed, double p50, double p99) {
        double tps() {
            return transactions / seconds;
        }
    }

    public static void main(String[] args) throws Exception {
        int seconds = 20;
        List<Integer> poolSizes = List.of();
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--seconds") && i + 1 < args.length) {
                seconds = Integer.parseInt(args[++i]);
            } else if (args[i].equals("--pool-sizes") && i + 1 < args.length) {
                poolSizes = java.util.Arrays.stream(args[++i].split(",")).map(String::strip).map(Integer::valueOf)
                        .toList();
            } else {
                System.err.println("usage: java -cp benchmark/target/benchmark.jar org.citusrailway.benchmark.PoolerRun"
                        + " [--seconds 20] [--pool-sizes 4,8,16,38]   (from the repository root; needs a Docker engine"
                        + " with the base images)");
                System.exit(args[i].equals("--help") ? 0 : 2);
            }
        }
        Optional<String> unusable = DockerEngine.unusableBecause(BASE_IMAGES);
        if (unusable.isPresent()) {
            System.out.println("SKIPPED: " + unusable.get());
            return;
        }
        Path dir = Files.createTempDirectory("citus-pooler-run-");
        try (Cleanup cleanup = new Cleanup(dir)) {
            Path envFile = dir.resolve("pooler.env");
            String env = "POSTGRES_PASSWORD=" + PASSWORD + "\nNODE_MEMORY_LIMIT=1g\n";
            Files.writeString(envFile, env);
            ComposeProject project = new ComposeProject(PROJECT, envFile, ROOT);
            try {
                project.compose(Duration.ofMinutes(2), "down", "-v", "--remove-orphans");
                must(project.compose(Duration.ofMinutes(25), "build"), "docker compose build");
                must(project.compose(Duration.ofMinutes(5), "up", "-d", "--wait"), "docker compose up -d --wait");
                measure(seconds, poolSizes, size -> {
                    Files.writeString(envFile, env + "POOLER_POOL_SIZE=" + size + "\n");
                    // --build: the pooler image from this repository again, whatever else built its tag meanwhile.
                    must(project.compose(Duration.ofMinutes(5), "up", "-d", "--wait", "--build", "pooler"),
                            "docker compose up -d --wait pooler");
                    return startLine(project);
                }, () -> startLine(project));
            } finally {
                project.compose(Duration.ofMinutes(3), "down", "-v", "--remove-orphans");
            }
        }
    }

    /** Starts the pooler again with the given POOLER_POOL_SIZE and returns its start line. */
    private interface Restart {
        String with(int poolSize) throws Exception;
    }

    private interface StartLine {
        String read() throws Exception;
    }

    /** The pooler's last line that says how many connections it pools into (and why). */
    private static String startLine(ComposeProject project) {
        String out = project.compose(Duration.ofSeconds(30), "logs", "--no-log-prefix", "pooler").out();
        String line = "";
        for (String l : out.split("\n")) {
            // compose may start a line with a terminal control sequence.
            int at = l.indexOf("citus-pooler: pooling ");
            if (at >= 0) {
                line = l.substring(at).strip();
            }
        }
        return line;
    }

    private static void measure(int seconds, List<Integer> poolSizes, Restart restart, StartLine startLine)
            throws Exception {
        try (Connection c = connect(DIRECT); Statement s = c.createStatement()) {
            long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
            while (true) {
                try (ResultSet rs = s.executeQuery("select count(*) from pg_dist_node where isactive and groupid <> 0")) {
                    rs.next();
                    if (rs.getInt(1) == 2) {
                        break;
                    }
                }
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("the registrar did not add both workers within 2 minutes");
                }
                Thread.sleep(500);
            }
            s.execute("create table accounts (id bigint primary key, balance bigint)");
            s.execute("select create_distributed_table('accounts', 'id')");
            s.execute("insert into accounts select g, 0 from generate_series(1, 100000) g");
            s.execute("vacuum analyze accounts");
        }
        Report report = new Report();
        report.info("pool (the pooler's start line)", startLine.read().replace("citus-pooler: ", ""));
        double directBest = 0;
        Level pooledAt200 = null;
        boolean noneRefused = true;
        for (int clients : CLIENTS) {
            Level direct = load(DIRECT, clients, seconds);
            Level pooled = load(POOLED, clients, seconds);
            directBest = Math.max(directBest, direct.tps());
            if (clients == 200) {
                pooledAt200 = pooled;
            }
            noneRefused &= pooled.refused() == 0 && pooled.failed() == 0;
            report.info(clients + " clients, direct", describe(direct));
            report.info(clients + " clients, pooled", describe(pooled));
        }
        report.target("clients refused through the pool, any level", noneRefused ? "0" : "some", "0", noneRefused);
        report.target("pooled throughput at 200 clients", String.format(Locale.ROOT, "%.0f tx/s (direct best %.0f)",
                pooledAt200.tps(), directBest), ">= direct best", pooledAt200.tps() >= directBest);
        double pooledLogin = loginMillis(POOLED);
        double directLogin = loginMillis(DIRECT);
        report.info("new TLS login, median of 50", String.format(Locale.ROOT, "pooled %.1f ms, direct %.1f ms",
                pooledLogin, directLogin));
        // Two rounds, the second in the opposite order, so that a change in the machine's other load over the minutes
        // of the sweep weighs on every size alike.
        List<Integer> order = new ArrayList<>(poolSizes);
        List<Integer> reversed = new ArrayList<>(poolSizes.reversed());
        order.addAll(reversed);
        java.util.Map<Integer, List<Level>> bySize = new java.util.TreeMap<>();
        for (int size : order) {
            String line = restart.with(size);
            if (!line.contains(" into " + size + " connections ")) {
                throw new IllegalStateException("the pooler did not start with a pool of " + size + ": " + line);
            }
            bySize.computeIfAbsent(size, k -> new ArrayList<>()).add(load(POOLED, 200, seconds));
        }
        bySize.forEach((size, levels) -> report.info("pool of " + size + ", 200 clients, two rounds", String.format(
                Locale.ROOT, "%.0f tx/s (%.0f, %.0f), p50 %.1f/%.1f ms, p99 %.0f/%.0f ms, %d refused, %d failed",
                (levels.get(0).tps() + levels.get(1).tps()) / 2, levels.get(0).tps(), levels.get(1).tps(),
                levels.get(0).p50(), levels.get(1).p50(), levels.get(0).p99(), levels.get(1).p99(),
                levels.get(0).refused() + levels.get(1).refused(), levels.get(0).failed() + levels.get(1).failed())));
        report.detail("Each client: its own connection, then short transactions back to back (an update of"
                + " one row and a read of another, by distribution key, autocommit) for " + seconds + " s. Refused:"
                + " clients that could not connect at all; failed: transactions that returned an error.");
        System.out.println();
        System.out.println("Pooled against direct through the compose cluster, " + Machine.describe());
        report.print(System.out);
    }

    private static String describe(Level level) {
        return String.format(Locale.ROOT, "%.0f tx/s, p50 %.1f ms, p99 %.1f ms, %d refused, %d failed", level.tps(),
                level.p50(), level.p99(), level.refused(), level.failed());
    }

    /** Every client connects at once, then runs transactions until the time is up. */
    private static Level load(int port, int clients, int seconds) throws InterruptedException {
        AtomicLong transactions = new AtomicLong();
        AtomicLong refused = new AtomicLong();
        AtomicLong failed = new AtomicLong();
        ConcurrentLinkedQueue<long[]> samples = new ConcurrentLinkedQueue<>();
        CountDownLatch connected = new CountDownLatch(clients);
        CountDownLatch go = new CountDownLatch(1);
        long[] window = new long[2];
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < clients; t++) {
            threads.add(Thread.ofPlatform().start(() -> {
                Connection c;
                try {
                    c = connect(port);
                } catch (SQLException e) {
                    refused.incrementAndGet();
                    connected.countDown();
                    return;
                }
                connected.countDown();
                long[] mine = new long[4096];
                int n = 0;
                try (c; PreparedStatement write = c.prepareStatement(
                        "update accounts set balance = balance + 1 where id = ?");
                        PreparedStatement read = c.prepareStatement("select balance from accounts where id = ?")) {
                    go.await();
                    while (System.nanoTime() < window[1]) {
                        long started = System.nanoTime();
                        try {
                            write.setLong(1, ThreadLocalRandom.current().nextLong(1, 100_001));
                            write.executeUpdate();
                            read.setLong(1, ThreadLocalRandom.current().nextLong(1, 100_001));
                            try (ResultSet rs = read.executeQuery()) {
                                rs.next();
                            }
                            transactions.incrementAndGet();
                            if (n == mine.length) {
                                samples.add(mine);
                                mine = new long[4096];
                                n = 0;
                            }
                            mine[n++] = System.nanoTime() - started;
                        } catch (SQLException e) {
                            failed.incrementAndGet();
                        }
                    }
                } catch (SQLException | InterruptedException e) {
                    failed.incrementAndGet();
                }
                samples.add(java.util.Arrays.copyOf(mine, n));
            }));
        }
        connected.await();
        window[0] = System.nanoTime();
        window[1] = window[0] + Duration.ofSeconds(seconds).toNanos();
        go.countDown();
        for (Thread thread : threads) {
            thread.join();
        }
        double elapsed = (System.nanoTime() - window[0]) / 1e9;
        long[] all = samples.stream().flatMapToLong(java.util.Arrays::stream).sorted().toArray();
        double p50 = all.length == 0 ? 0 : all[all.length / 2] / 1e6;
        double p99 = all.length == 0 ? 0 : all[(int) Math.min(all.length - 1, all.length * 0.99)] / 1e6;
        return new Level(transactions.get(), elapsed, refused.get(), failed.get(), p50, p99);
    }

    private static double loginMillis(int port) throws SQLException {
        long[] times = new long[50];
        for (int i = 0; i < times.length; i++) {
            long started = System.nanoTime();
            try (Connection c = connect(port); Statement s = c.createStatement()) {
                s.execute("select 1");
            }
            times[i] = System.nanoTime() - started;
        }
        java.util.Arrays.sort(times);
        return times[times.length / 2] / 1e6;
    }

    /** Clients connecting by the thousand wait their turn for TLS and SCRAM: a long connect timeout. */
    private static Connection connect(int port) throws SQLException {
        return ComposeProject.connect(port, PASSWORD, 30);
    }

    private static void must(ComposeProject.Result result, String what) {
        if (!result.ok()) {
            throw new IllegalStateException(what + " failed:\n" + result.out());
        }
    }
}
