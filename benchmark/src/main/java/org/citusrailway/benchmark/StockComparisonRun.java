package org.citusrailway.benchmark;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.citusrailway.testkit.ComposeProject;
import org.citusrailway.testkit.DockerEngine;
import org.citusrailway.testkit.Sql;

/**
 * Query throughput of the template's images against the stock {@code citusdata/citus:13.2.0} image with its defaults,
 * on the same machine, in one run. Two compose projects side by side, each a coordinator and two workers with a 1 GiB
 * memory limit and 256 MB of /dev/shm per node: the template's images (each node sizing its settings from that limit,
 * TLS and a password on every connection, its registrar adding the workers) and the stock image (workers added by hand
 * with {@code citus_add_node}, the password in {@code pg_dist_authinfo} so that its nodes authenticate to each other as
 * the template's do). Both get the same data: {@code accounts} and the colocated {@code events} (32 shards, about a
 * quarter and three quarters of the requested size), {@code history} (colocated, the write target) and the reference
 * table {@code branches}; then {@code VACUUM ANALYZE} and a checkpoint.
 *
 * <p>Five pgbench scripts run through each coordinator, with the same clients, prepared statements and TLS: (a) a
 * single-row read by distribution key, (b) a single-row insert, (c) an aggregate over the whole of {@code events}
 * (every shard), (d) a join of {@code accounts} and {@code events} on their distribution key, filtered to one key,
 * with the reference table, (e) a TPC-B-like transaction: two updates of accounts with different keys and an insert,
 * in one transaction. Per workload the clusters take turns (the order swapped from one workload to the next to spread
 * drift): a warm-up run, then the measured run with a per-transaction log, from which p50 and p99 are computed. Load
 * runs against one cluster at a time. Printed: tps, p50, p99 per cluster and the template/stock ratios (goal: tps
 * ratio at least 1.0 for every workload), then the settings in which the two clusters' coordinators and workers
 * differ ({@code SHOW ALL}).
 *
 * <p>Usage, from the repository root, with the images built ({@code docker compose build coordinator worker1
 * registrar}) and {@code citusdata/citus:13.2.0} in the local engine: {@code java -cp benchmark/target/benchmark.jar
 * org.citusrailway.benchmark.StockComparisonRun [--gigabytes 1] [--seconds 30] [--clients 8]}
 */
public final class StockComparisonRun {
    private static final String TEMPLATE_PROJECT = "citus-bench-template";
    private static final String STOCK_PROJECT = "citus-bench-stock";
    private static final int TEMPLATE_PORT = 15432;
    private static final int STOCK_PORT = 25432;
    private static final String PASSWORD = "Stock-Comparison-6182";
    private static final String STOCK_IMAGE = "citusdata/citus:13.2.0";
    private static final List<String> IMAGES = List.of("citus-railway/coordinator:local", "citus-railway/worker:local",
            "citus-railway/registrar:local", STOCK_IMAGE);
    private static final int SHARDS = 32;
    private static final int EVENTS_PER_ACCOUNT = 4;
    /**
     * Bytes of the workers' databases per account with its 4 events, indexes included (measured: 200 k accounts take
     * 38 MB and their events 128 MB); used to turn --gigabytes into a row count that is the same for both clusters.
     */
    private static final long BYTES_PER_ACCOUNT = 870;
    private static final int LOAD_BATCH_ACCOUNTS = 100_000;
    private static final int BRANCHES = 1000;
    private static final int WARM_UP_SECONDS = 10;
    private static final int PGBENCH_THREADS = 2;
    private static final double GOAL_RATIO = 1.0;
    private static final Duration COMPOSE_TIMEOUT = Duration.ofMinutes(5);
    /**
     * Above this many CPUs used by other programs during a measured run (the machine has 2), a pair's ratio says more
     * about them than about the clusters, and is not judged.
     */
    private static final double BUSY_MACHINE_CPUS = 0.25;
    /** Settings whose values name files, hosts or the cluster, not how it performs. */
    private static final Pattern UNINTERESTING = Pattern.compile(
            "^(ssl_.*_file|.*_file|data_directory|cluster_name|config_file|hba_file|ident_file|krb_server_keyfile)$");
    /** The settings read first when a workload is slower: memory, connections, planner, WAL and Citus's pools. */
    private static final Set<String> KEY_SETTINGS = Set.of("shared_buffers", "work_mem", "max_connections",
            "effective_cache_size", "maintenance_work_mem", "jit", "wal_level", "shared_preload_libraries",
            "citus.max_shared_pool_size", "citus.local_shared_pool_size", "citus.max_adaptive_executor_pool_size",
            "citus.max_cached_conns_per_worker", "max_parallel_workers_per_gather", "max_worker_processes",
            "synchronous_commit", "random_page_cost", "ssl", "password_encryption", "huge_pages");

    private static final String USAGE = """
            usage: java -cp benchmark/target/benchmark.jar org.citusrailway.benchmark.StockComparisonRun [options]
                   (run from the repository root; needs Docker with the template's images built and
                   citusdata/citus:13.2.0 present, and pgbench 17 on the host)
              --gigabytes G   distributed data on the two workers together, in GB (default 1)
              --seconds N     measured seconds per workload and cluster, after a 10 s warm-up (default 30)
              --clients N     pgbench clients (default 8; 2 threads)
              --pgbench P     the pgbench binary (default /usr/lib/postgresql/17/bin/pgbench, else on PATH)
            """;

    /** One workload: its letter, what it does and the pgbench script. */
    private record Workload(String key, String title, String script) {
    }

    private static final List<Workload> WORKLOADS = List.of(
            new Workload("a", "single-row read by key", """
                    \\set aid random(1, :accounts)
                    SELECT balance, filler FROM accounts WHERE aid = :aid;
                    """),
            new Workload("b", "single-row insert", """
                    \\set aid random(1, :accounts)
                    \\set delta random(-5000, 5000)
                    INSERT INTO history (aid, delta, at) VALUES (:aid, :delta, now());
                    """),
            new Workload("c", "multi-shard aggregate", """
                    SELECT seq, count(*), sum(amount) FROM events GROUP BY seq;
                    """),
            new Workload("d", "colocated join, one key", """
                    \\set aid random(1, :accounts)
                    SELECT a.aid, a.balance, b.name, count(*), sum(e.amount)
                      FROM accounts a JOIN events e ON e.aid = a.aid JOIN branches b ON b.bid = a.branch
                     WHERE a.aid = :aid GROUP BY a.aid, a.balance, b.name;
                    """),
            // The two keys are updated in ascending order, so that concurrent transactions cannot deadlock.
            new Workload("e", "TPC-B-like, 2 shards", """
                    \\set x random(1, :accounts)
                    \\set y random(1, :accounts)
                    \\set lo least(:x, :y)
                    \\set hi greatest(:x, :y)
                    \\set delta random(-5000, 5000)
                    BEGIN;
                    UPDATE accounts SET balance = balance + :delta WHERE aid = :lo;
                    UPDATE accounts SET balance = balance - :delta WHERE aid = :hi;
                    INSERT INTO history (aid, delta, at) VALUES (:lo, :delta, now());
                    END;
                    """));

    /** One of the two clusters under test. */
    private record Cluster(String label, ComposeProject project, int port, Path directory) {
        Connection connect() throws SQLException {
            Properties props = new Properties();
            props.setProperty("user", "postgres");
            props.setProperty("password", PASSWORD);
            props.setProperty("sslmode", "require");
            props.setProperty("connectTimeout", "5");
            return DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + port + "/postgres", props);
        }
    }

    /**
     * A measured pgbench run: transactions per second, per-transaction latencies, the CPU time the cluster's containers
     * spent per transaction, and the CPUs that programs other than the two clusters and pgbench kept busy on average
     * meanwhile (negative: unknown).
     */
    private record Measurement(double tps, Percentiles latencies, long failed, String problem, double cpuMsPerTx,
            double otherCpus) {
        String describe() {
            return String.format(Locale.ROOT, "%s tps, p50 %s, p99 %s, cluster CPU %s/tx (%d tx%s; other programs %s"
                    + " CPUs)", tpsText(tps), Report.ms(latencies.median()), Report.ms(latencies.at(99)),
                    cpuMsPerTx < 0 ? "?" : Report.ms(cpuMsPerTx), latencies.count(),
                    (failed > 0 ? ", " + failed + " failed" : "") + (problem.isEmpty() ? "" : "; " + problem),
                    otherCpus < 0 ? "?" : String.format(Locale.ROOT, "%.2f", otherCpus));
        }
    }

    private final Report report = new Report();
    private final Path pgbench;
    private final int seconds;
    private final int clients;
    /** Every container of each cluster, by the cluster's label: their CPU time is the clusters' own. */
    private final Map<String, List<String>> containers = new LinkedHashMap<>();

    private StockComparisonRun(Path pgbench, int seconds, int clients) {
        this.pgbench = pgbench;
        this.seconds = seconds;
        this.clients = clients;
    }

    public static void main(String[] args) throws Exception {
        double gigabytes = 1;
        int seconds = 30;
        int clients = 8;
        String pgbenchOption = null;
        for (int i = 0; i < args.length; i++) {
            String name = args[i];
            if (name.equals("--help") || name.equals("-h")) {
                System.out.print(USAGE);
                return;
            }
            if (i + 1 >= args.length) {
                System.err.print(name + " needs a value\n" + USAGE);
                System.exit(2);
            }
            String value = args[++i];
            switch (name) {
                case "--gigabytes" -> gigabytes = Double.parseDouble(value);
                case "--seconds" -> seconds = Integer.parseInt(value);
                case "--clients" -> clients = Integer.parseInt(value);
                case "--pgbench" -> pgbenchOption = value;
                default -> {
                    System.err.print("unknown option " + name + "\n" + USAGE);
                    System.exit(2);
                }
            }
        }
        if (!(gigabytes > 0 && gigabytes <= 16) || seconds < 5 || clients < 1 || clients > 40) {
            System.err.print("--gigabytes must be in (0, 16], --seconds at least 5, --clients 1 to 40\n" + USAGE);
            System.exit(2);
        }
        var unusable = DockerEngine.unusableBecause(IMAGES);
        if (unusable.isPresent()) {
            System.out.println("SKIPPED: " + unusable.get() + " (build the template's images with docker compose"
                    + " build coordinator worker1 registrar)");
            return;
        }
        Path pgbench = findPgbench(pgbenchOption);
        if (pgbench == null) {
            System.out.println("SKIPPED: no pgbench found (install postgresql-client-17 or pass --pgbench)");
            return;
        }
        Path dir = Files.createTempDirectory("citus-railway-stock-comparison-");
        try (Cleanup cleanup = new Cleanup(dir)) {
            StockComparisonRun run = new StockComparisonRun(pgbench, seconds, clients);
            String loadBefore = loadAverage();
            long started = System.nanoTime();
            try {
                run.run(cleanup, dir, gigabytes);
            } catch (Exception | Error e) {
                System.out.println();
                System.out.println("FAILED: " + e.getMessage());
                run.report.print(System.out);
                throw e;
            }
            System.out.println();
            System.out.printf(Locale.ROOT, "Template images against %s, coordinator + 2 workers of 1 GiB each, %d"
                    + " pgbench clients (%d threads), %d s per workload after a %d s warm-up; whole run %.1f min%n",
                    STOCK_IMAGE, clients, Math.min(PGBENCH_THREADS, clients), seconds, WARM_UP_SECONDS,
                    (System.nanoTime() - started) / 60e9);
            System.out.println(Machine.describe());
            System.out.println("Load average (1, 5, 15 min) before: " + loadBefore + "; after: " + loadAverage());
            System.out.println();
            run.report.print(System.out);
        }
    }

    private static Path findPgbench(String option) {
        if (option != null) {
            return Files.isExecutable(Path.of(option)) ? Path.of(option) : null;
        }
        Path usual = Path.of("/usr/lib/postgresql/17/bin/pgbench");
        if (Files.isExecutable(usual)) {
            return usual;
        }
        for (String entry : System.getenv().getOrDefault("PATH", "").split(":")) {
            Path candidate = Path.of(entry, "pgbench");
            if (!entry.isEmpty() && Files.isExecutable(candidate)) {
                return candidate;
            }
        }
        return null;
    }

    private void run(Cleanup cleanup, Path dir, double gigabytes) throws Exception {
        Path envFile = dir.resolve("cluster.env");
        Files.writeString(envFile, "POSTGRES_PASSWORD=" + PASSWORD + "\n");
        Cluster template = cluster(cleanup, dir, envFile, "template", TEMPLATE_PROJECT, TEMPLATE_PORT,
                templateCompose());
        Cluster stock = cluster(cleanup, dir, envFile, "stock", STOCK_PROJECT, STOCK_PORT, stockCompose());
        List<Cluster> clusters = List.of(template, stock);

        progress("starting both clusters");
        for (Cluster cluster : clusters) {
            // A project left by an interrupted run of this benchmark (same name) goes first.
            cluster.project().compose(COMPOSE_TIMEOUT, "down", "-v", "--remove-orphans");
            check(cluster.project().compose(COMPOSE_TIMEOUT, "up", "-d", "--wait"), cluster.label() + ": up");
            var ids = cluster.project().compose(Duration.ofMinutes(1), "ps", "-q");
            check(ids, cluster.label() + ": ps");
            containers.put(cluster.label(), ids.out().lines().map(String::strip)
                    .filter(l -> l.matches("[0-9a-f]{12,64}")).toList());
        }
        try (Connection c = awaitConnection(stock)) {
            // The stock image's pg_hba asks every TCP connection for a password (scram-sha-256), between the nodes
            // too; Citus takes it from pg_dist_authinfo (node 0: every node), which it copies to the workers.
            Sql.execute(c, "insert into pg_dist_authinfo (nodeid, rolename, authinfo) values (0, 'postgres',"
                    + " 'password=" + PASSWORD + "')");
            Sql.execute(c, "select citus_set_coordinator_host('coordinator', 5432)");
            Sql.execute(c, "select citus_add_node('worker1', 5432)");
            Sql.execute(c, "select citus_add_node('worker2', 5432)");
        }
        for (Cluster cluster : clusters) {
            try (Connection c = awaitConnection(cluster)) {
                awaitValue(c, "select count(*) from pg_dist_node where noderole = 'primary' and isactive"
                        + " and groupid <> 0", "2", Duration.ofMinutes(3));
                report.info("Cluster, " + cluster.label(), Sql.value(c, "select 'PostgreSQL ' ||"
                        + " current_setting('server_version') || ', Citus ' || (select extversion from pg_extension"
                        + " where extname = 'citus') || ', workers: ' || (select string_agg(nodename, ', ' order by"
                        + " nodename) from pg_dist_node where groupid <> 0)"));
            }
        }

        long accounts = Math.max(10_000, Math.round(gigabytes * 1024 * 1024 * 1024 / BYTES_PER_ACCOUNT));
        progress(String.format(Locale.ROOT, "loading %,d accounts and %,d events into each cluster", accounts,
                accounts * EVENTS_PER_ACCOUNT));
        try (ExecutorService pool = Executors.newFixedThreadPool(clusters.size())) {
            List<Future<String>> loads = new ArrayList<>();
            for (Cluster cluster : clusters) {
                loads.add(pool.submit(() -> load(cluster, accounts)));
            }
            for (int i = 0; i < clusters.size(); i++) {
                report.info("Data set, " + clusters.get(i).label(), loads.get(i).get());
            }
        }

        Map<String, Map<Cluster, Measurement>> results = new LinkedHashMap<>();
        for (int w = 0; w < WORKLOADS.size(); w++) {
            Workload workload = WORKLOADS.get(w);
            Path script = dir.resolve("workload-" + workload.key() + ".sql");
            Files.writeString(script, workload.script());
            Map<Cluster, Measurement> byCluster = new LinkedHashMap<>();
            // Alternating which cluster goes first spreads slow drift (caches, the host) over both.
            List<Cluster> order = w % 2 == 0 ? clusters : clusters.reversed();
            for (Cluster cluster : order) {
                progress("(" + workload.key() + ") " + workload.title() + ": " + cluster.label());
                pgbenchRun(cluster, script, accounts, WARM_UP_SECONDS, null);
                Path logPrefix = dir.resolve(cluster.label() + "-" + workload.key());
                byCluster.put(cluster, pgbenchRun(cluster, script, accounts, seconds, logPrefix));
            }
            results.put(workload.key(), byCluster);
        }

        for (Workload workload : WORKLOADS) {
            Map<Cluster, Measurement> m = results.get(workload.key());
            Measurement t = m.get(template);
            Measurement s = m.get(stock);
            String name = "(" + workload.key() + ") " + workload.title();
            report.info(name + ", template", t.describe());
            report.info(name + ", stock", s.describe());
            double ratio = t.tps() / s.tps();
            boolean quiet = t.otherCpus() <= BUSY_MACHINE_CPUS && s.otherCpus() <= BUSY_MACHINE_CPUS;
            boolean judged = t.problem().isEmpty() && s.problem().isEmpty() && s.tps() > 0 && quiet;
            report.target(name + ", template/stock", String.format(Locale.ROOT,
                    "tps %.2f x; p50 %.2f x, p99 %.2f x, CPU/tx %.2f x (latency, CPU: below 1 is better)", ratio,
                    t.latencies().median() / s.latencies().median(), t.latencies().at(99) / s.latencies().at(99),
                    t.cpuMsPerTx() / s.cpuMsPerTx()),
                    "tps >= " + GOAL_RATIO + " x" + (quiet ? "" : " (machine busy: not judged)"),
                    judged ? ratio >= GOAL_RATIO : null);
        }

        settingsDifferences(template, stock, "coordinator");
        settingsDifferences(template, stock, "worker1");
        report.detail("");
        report.detail("Workloads (pgbench -M prepared, -c " + clients + " -j " + Math.min(PGBENCH_THREADS, clients)
                + ", sslmode=require, :accounts = " + accounts + "):");
        for (Workload workload : WORKLOADS) {
            report.detail("  (" + workload.key() + ") " + workload.script().strip().replace("\n", " "));
        }
        report.detail("Cluster CPU/tx: CPU time of the cluster's containers (coordinator, workers, and the template's"
                + " registrar) over the measured run, per transaction; less sensitive than tps to what else runs on"
                + " the machine.");
        report.detail("Other programs: the machine's busy CPU time (/proc/stat) less this program's process tree"
                + " (pgbench) and the containers of both clusters (their cgroups' CPU time), over the measured run; a"
                + " pair in which either run saw more than " + BUSY_MACHINE_CPUS + " CPUs of it is not judged.");
        report.detail("Latency: nearest-rank percentiles of every transaction in pgbench's per-transaction log"
                + " (--log) of the measured run; tps is pgbench's own figure. Template/stock tps above 1 means the"
                + " template is faster; latency ratios below 1 mean the template is faster.");
    }

    /** Writes the compose file into a directory of its own and registers the project's removal. */
    private static Cluster cluster(Cleanup cleanup, Path dir, Path envFile, String label, String name, int port,
            String composeFile) throws IOException {
        Path projectDir = Files.createDirectories(dir.resolve(label));
        Files.writeString(projectDir.resolve("docker-compose.yml"), composeFile);
        ComposeProject project = new ComposeProject(name, envFile, projectDir);
        cleanup.register(() -> {
            var down = project.compose(COMPOSE_TIMEOUT, "down", "-v", "--remove-orphans");
            if (!down.ok()) {
                System.err.println("cleanup: " + name + " down failed: " + down.out());
            }
        });
        return new Cluster(label, project, port, projectDir);
    }

    /**
     * The repository's docker-compose.yml for the same three nodes and the registrar, with a fixed 1 GiB limit, the
     * coordinator on its own host port and nothing else published.
     */
    private static String templateCompose() {
        return """
                name: %s
                x-node: &node
                  shm_size: 256m
                  mem_limit: 1g
                  stop_grace_period: 60s
                x-env: &env
                  POSTGRES_USER: postgres
                  POSTGRES_PASSWORD: ${POSTGRES_PASSWORD}
                  POSTGRES_DB: postgres
                  PGDATA: /var/lib/postgresql/data/pgdata
                services:
                  coordinator:
                    <<: *node
                    image: citus-railway/coordinator:local
                    environment: {<<: *env, NODE_IDENTITY: coordinator}
                    volumes: [coordinator-data:/var/lib/postgresql/data]
                    ports: ["127.0.0.1:%d:5432"]
                    networks: {citus: {aliases: [coordinator.railway.internal]}}
                  worker1:
                    <<: *node
                    image: citus-railway/worker:local
                    environment: {<<: *env, NODE_IDENTITY: worker1}
                    volumes: [worker1-data:/var/lib/postgresql/data]
                    networks: {citus: {aliases: [worker1.railway.internal]}}
                  worker2:
                    <<: *node
                    image: citus-railway/worker:local
                    environment: {<<: *env, NODE_IDENTITY: worker2}
                    volumes: [worker2-data:/var/lib/postgresql/data]
                    networks: {citus: {aliases: [worker2.railway.internal]}}
                  registrar:
                    image: citus-railway/registrar:local
                    environment: {POSTGRES_PASSWORD: "${POSTGRES_PASSWORD}", LOG_FORMAT: text}
                    mem_limit: 256m
                    depends_on: {coordinator: {condition: service_healthy}}
                    networks: [citus]
                networks: {citus: {}}
                volumes: {coordinator-data: {}, worker1-data: {}, worker2-data: {}}
                """.formatted(TEMPLATE_PROJECT, TEMPLATE_PORT);
    }

    /** The stock image as its own documentation runs it: the official postgres environment, nothing else. */
    private static String stockCompose() {
        return """
                name: %s
                x-node: &node
                  image: %s
                  shm_size: 256m
                  mem_limit: 1g
                  stop_grace_period: 60s
                  environment: {POSTGRES_PASSWORD: "${POSTGRES_PASSWORD}"}
                services:
                  coordinator:
                    <<: *node
                    volumes: [coordinator-data:/var/lib/postgresql/data]
                    ports: ["127.0.0.1:%d:5432"]
                    networks: [citus]
                  worker1:
                    <<: *node
                    volumes: [worker1-data:/var/lib/postgresql/data]
                    networks: [citus]
                  worker2:
                    <<: *node
                    volumes: [worker2-data:/var/lib/postgresql/data]
                    networks: [citus]
                networks: {citus: {}}
                volumes: {coordinator-data: {}, worker1-data: {}, worker2-data: {}}
                """.formatted(STOCK_PROJECT, STOCK_IMAGE, STOCK_PORT);
    }

    /**
     * Creates the tables and fills them in batches of INSERT ... SELECT generate_series through the coordinator, two
     * connections at a time; then VACUUM ANALYZE and a checkpoint on every node. Returns the tables' sizes.
     */
    private static String load(Cluster cluster, long accounts) throws Exception {
        long t0 = System.nanoTime();
        try (Connection c = cluster.connect()) {
            for (String sql : List.of(
                    "create table accounts (aid bigint primary key, branch int not null, balance bigint not null,"
                            + " filler text not null)",
                    "select create_distributed_table('accounts', 'aid', shard_count => " + SHARDS + ")",
                    "create table events (aid bigint not null, seq int not null, amount bigint not null,"
                            + " at timestamptz not null, note text not null, primary key (aid, seq))",
                    "select create_distributed_table('events', 'aid', colocate_with => 'accounts')",
                    "create table history (aid bigint not null, delta bigint not null, at timestamptz not null)",
                    "select create_distributed_table('history', 'aid', colocate_with => 'accounts')",
                    "create table branches (bid int primary key, name text not null)",
                    "select create_reference_table('branches')",
                    "insert into branches select g, 'branch ' || g from generate_series(1, " + BRANCHES + ") g")) {
                Sql.execute(c, sql);
            }
        }
        AtomicLong next = new AtomicLong();
        try (ExecutorService pool = Executors.newFixedThreadPool(2)) {
            List<Future<?>> loaders = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                loaders.add(pool.submit(() -> {
                    try (Connection c = cluster.connect()) {
                        long first;
                        while ((first = next.getAndAdd(LOAD_BATCH_ACCOUNTS) + 1) <= accounts) {
                            long last = Math.min(accounts, first + LOAD_BATCH_ACCOUNTS - 1);
                            Sql.execute(c, "insert into accounts select g, g % " + BRANCHES + " + 1, 0, md5(g::text)"
                                    + " || md5((g + 1)::text) from generate_series(" + first + ", " + last + ") g");
                            Sql.execute(c, "insert into events select a, s, (a * s) % 1000, timestamptz"
                                    + " '2025-01-01' + a * interval '1 second', md5((a * s)::text)"
                                    + " from generate_series(" + first + ", " + last + ") a, generate_series(1, "
                                    + EVENTS_PER_ACCOUNT + ") s");
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> loader : loaders) {
                loader.get();
            }
        }
        try (Connection c = cluster.connect()) {
            Sql.execute(c, "vacuum analyze accounts, events, history, branches");
            Sql.execute(c, "checkpoint");
            Sql.execute(c, "select run_command_on_workers('checkpoint')");
            return String.format(Locale.ROOT, "%s (accounts %s, events %s; %,d + %,d rows) loaded in %.0f s",
                    Sql.value(c, "select pg_size_pretty(citus_total_relation_size('accounts')"
                            + " + citus_total_relation_size('events'))"),
                    Sql.value(c, "select pg_size_pretty(citus_total_relation_size('accounts'))"),
                    Sql.value(c, "select pg_size_pretty(citus_total_relation_size('events'))"), accounts,
                    accounts * EVENTS_PER_ACCOUNT, (System.nanoTime() - t0) / 1e9);
        }
    }

    /** One pgbench run; with a log prefix, the measured one, read back from its per-transaction log. */
    private Measurement pgbenchRun(Cluster cluster, Path script, long accounts, int runSeconds, Path logPrefix)
            throws Exception {
        List<String> command = new ArrayList<>(List.of(pgbench.toString(), "-h", "127.0.0.1", "-p",
                Integer.toString(cluster.port()), "-U", "postgres", "-n", "-M", "prepared", "-c",
                Integer.toString(clients), "-j", Integer.toString(Math.min(PGBENCH_THREADS, clients)), "-T",
                Integer.toString(runSeconds), "-D", "accounts=" + accounts, "-f", script.toString()));
        if (logPrefix != null) {
            command.addAll(List.of("--log", "--log-prefix=" + logPrefix));
        }
        command.add("postgres");
        Path output = Files.createTempFile(script.getParent(), "pgbench-", ".out");
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(output.toFile())
                .directory(script.getParent().toFile());
        pb.environment().put("PGPASSWORD", PASSWORD);
        pb.environment().put("PGSSLMODE", "require");
        List<String> all = containers.values().stream().flatMap(List::stream).toList();
        List<String> own = containers.get(cluster.label());
        CpuAccount.Sample cpuBefore = CpuAccount.sample("pgbench");
        long allBefore = containersCpuNanos(all);
        long ownBefore = containersCpuNanos(own);
        Process p = pb.start();
        if (!p.waitFor(runSeconds + 120L, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IllegalStateException("pgbench did not finish: " + Files.readString(output));
        }
        CpuAccount.Span cpu = CpuAccount.between(cpuBefore, CpuAccount.sample("pgbench"));
        long allAfter = containersCpuNanos(all);
        long ownAfter = containersCpuNanos(own);
        double otherCpus = allBefore < 0 || allAfter < 0 ? -1 : Math.max(0,
                cpu.othersCpuSeconds() - (allAfter - allBefore) / 1e9) / cpu.seconds();
        String out = Files.readString(output);
        Matcher tps = Pattern.compile("tps = ([0-9.]+) \\(without initial connection time\\)").matcher(out);
        if (!tps.find()) {
            throw new IllegalStateException(cluster.label() + ": pgbench gave no tps (exit " + p.exitValue() + "):\n"
                    + out);
        }
        if (logPrefix == null) {
            return null;
        }
        Matcher failedMatch = Pattern.compile("number of failed transactions: (\\d+)").matcher(out);
        long failed = failedMatch.find() ? Long.parseLong(failedMatch.group(1)) : 0;
        String problem = "";
        if (p.exitValue() != 0) {
            List<String> errors = out.lines().filter(l -> l.contains("ERROR") || l.contains("aborted")).limit(3)
                    .toList();
            problem = "pgbench exit " + p.exitValue() + ": " + String.join(" | ", errors);
        }
        List<Double> latencies = new ArrayList<>();
        String prefix = logPrefix.getFileName().toString() + ".";
        try (Stream<Path> files = Files.list(logPrefix.getParent())) {
            for (Path file : files.filter(f -> f.getFileName().toString().startsWith(prefix)).toList()) {
                try (Stream<String> lines = Files.lines(file)) {
                    lines.forEach(line -> {
                        // client_id transaction_no time(us) script_no epoch epoch_us; "failed" instead of a time
                        String[] fields = line.split(" ");
                        if (fields.length >= 3 && fields[2].chars().allMatch(Character::isDigit)) {
                            latencies.add(Long.parseLong(fields[2]) / 1000.0);
                        }
                    });
                }
                Files.delete(file);
            }
        }
        // Includes the run's own connection set-up and the cluster's background work (the registrar's passes, Citus's
        // maintenance daemon): a few CPU-ms each, against the seconds of CPU that the transactions take.
        double cpuMsPerTx = ownBefore < 0 || ownAfter < 0 || latencies.isEmpty() ? -1
                : (ownAfter - ownBefore) / 1e6 / latencies.size();
        return new Measurement(Double.parseDouble(tps.group(1)), Percentiles.of(latencies), failed, problem,
                cpuMsPerTx, otherCpus);
    }

    /** CPU time of all the clusters' containers from their cgroups (v1 cpuacct or v2 cpu.stat), or -1 if unknown. */
    private static long containersCpuNanos(List<String> ids) {
        long total = 0;
        for (String id : ids) {
            long nanos = containerCpuNanos(id);
            if (nanos < 0) {
                return -1;
            }
            total += nanos;
        }
        return total;
    }

    private static long containerCpuNanos(String shortId) {
        List<Path> roots = List.of(Path.of("/sys/fs/cgroup/cpuacct/docker"),
                Path.of("/sys/fs/cgroup/cpu,cpuacct/docker"), Path.of("/sys/fs/cgroup/system.slice"),
                Path.of("/sys/fs/cgroup/docker"));
        for (Path root : roots) {
            try (Stream<Path> entries = Files.list(root)) {
                for (Path dir : entries.filter(d -> d.getFileName().toString().replace("docker-", "")
                        .startsWith(shortId)).toList()) {
                    Path v1 = dir.resolve("cpuacct.usage");
                    if (Files.isReadable(v1)) {
                        return Long.parseLong(Files.readString(v1).strip());
                    }
                    Path v2 = dir.resolve("cpu.stat");
                    if (Files.isReadable(v2)) {
                        for (String line : Files.readAllLines(v2)) {
                            if (line.startsWith("usage_usec ")) {
                                return Long.parseLong(line.substring(11).strip()) * 1000;
                            }
                        }
                    }
                }
            } catch (IOException | RuntimeException e) {
                // not this layout
            }
        }
        return -1;
    }

    /** SHOW ALL of one node in both clusters (over its Unix socket), the differing settings as details. */
    private void settingsDifferences(Cluster template, Cluster stock, String service) {
        Map<String, String> t = showAll(template, service);
        Map<String, String> s = showAll(stock, service);
        Set<String> names = new TreeSet<>(t.keySet());
        names.addAll(s.keySet());
        List<String> key = new ArrayList<>();
        List<String> other = new ArrayList<>();
        for (String name : names) {
            String tv = t.getOrDefault(name, "(none)");
            String sv = s.getOrDefault(name, "(none)");
            if (tv.equals(sv) || UNINTERESTING.matcher(name).matches()) {
                continue;
            }
            String line = String.format(Locale.ROOT, "    %-44s template %-28s stock %s", name, tv, sv);
            (KEY_SETTINGS.contains(name) ? key : other).add(line);
        }
        report.detail("");
        report.detail("SHOW ALL differences, " + service + " (settings that bear on these workloads first):");
        key.forEach(report::detail);
        report.detail("    -- others --");
        other.forEach(report::detail);
    }

    private static Map<String, String> showAll(Cluster cluster, String service) {
        var result = cluster.project().compose(Duration.ofMinutes(1), "exec", "-T", service, "psql", "-U", "postgres",
                "-d", "postgres", "-AtX", "-F", "\t", "-c", "select name, current_setting(name) from pg_settings");
        check(result, cluster.label() + " " + service + ": SHOW ALL");
        Map<String, String> settings = new TreeMap<>();
        for (String line : result.out().split("\n")) {
            String[] fields = line.split("\t", 2);
            if (fields.length == 2) {
                settings.put(fields[0], fields[1]);
            }
        }
        return settings;
    }

    private static Connection awaitConnection(Cluster cluster) throws Exception {
        long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
        while (true) {
            try {
                Connection c = cluster.connect();
                Sql.value(c, "select 1");
                return c;
            } catch (SQLException | RuntimeException e) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException(cluster.label() + ": coordinator not reachable on port "
                            + cluster.port() + ": " + e.getMessage(), e);
                }
                Thread.sleep(500);
            }
        }
    }

    private static void awaitValue(Connection c, String sql, String expected, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        String last = null;
        while (System.nanoTime() < deadline) {
            last = Sql.value(c, sql);
            if (expected.equals(last)) {
                return;
            }
            Thread.sleep(500);
        }
        throw new IllegalStateException("not within " + timeout.toSeconds() + " s: " + sql + " = " + expected
                + " (last: " + last + ")");
    }

    private static void check(ComposeProject.Result result, String what) {
        if (!result.ok()) {
            throw new IllegalStateException(what + " failed (exit " + result.code() + "):\n" + result.out());
        }
    }

    private static String tpsText(double tps) {
        return String.format(Locale.ROOT, tps < 10 ? "%.2f" : "%.0f", tps);
    }

    private static String loadAverage() {
        try {
            String[] fields = Files.readString(Path.of("/proc/loadavg")).split(" ");
            return fields[0] + " " + fields[1] + " " + fields[2];
        } catch (IOException e) {
            return "unknown";
        }
    }

    private static void progress(String message) {
        System.out.printf(Locale.ROOT, "%tT %s%n", System.currentTimeMillis(), message);
    }
}
