package org.citusrailway.benchmark;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.citusrailway.testkit.PostgresBinaries;
import org.citusrailway.testkit.PostgresUser;
import org.citusrailway.testkit.TestS3Server;
import org.citusrailway.testkit.node.NodeCluster;
import org.citusrailway.testkit.node.NodeUnderTest;
import org.citusrailway.testkit.node.NodeUnderTest.NodeBinaries;
import org.citusrailway.testkit.node.NodeUnderTest.Result;

/**
 * Backup throughput and whole-cluster restore time through the product's own path: a coordinator and two workers,
 * each node/entrypoint.sh with real PostgreSQL + Citus and the bucket's variables (WAL archived by pgBackRest to
 * S3Proxy on loopback, HTTPS). Loads a data set of the requested size into a distributed and a reference table, takes
 * a full backup of each node alone and then of the three at once, writes a little more, makes a Citus restore point,
 * and then boots nodes with BACKUP_RESTORE_POINT on destroyed volumes: the largest node alone, then the whole cluster
 * at the same time. Prints the figures and whether the cluster's restore stays within 1.5 times the largest node's.
 *
 * <p>Usage, from the repository root: {@code java -cp benchmark/target/benchmark.jar
 * org.citusrailway.benchmark.BackupRun [--gigabytes 1.5] [--s3proxy-jar P]}
 */
public final class BackupRun {
    private static final double GOAL_RATIO = 1.5;
    private static final int SHARDS = 32;
    private static final long MB = 1024 * 1024;
    private static final int LOAD_BATCH_ROWS = 200_000;
    /** Two loaders keep both CPUs of the reference machine busy without queueing behind each other. */
    private static final int LOADERS = 2;
    private static final String BUCKET = "backups";
    /** How S3Proxy's process is told apart in the CPU account. */
    private static final String S3PROXY = "s3proxy.jar";
    private static final Duration LONG_WAIT = Duration.ofMinutes(15);
    private static final List<String> NODE_NAMES = List.of("coordinator", "worker1", "worker2");
    /** The last orders id written so far. */
    private static final AtomicLong NEXT_ID = new AtomicLong();

    private static final String USAGE = """
            usage: java -cp benchmark/target/benchmark.jar org.citusrailway.benchmark.BackupRun [options]
                   (run from the repository root, as root; needs PostgreSQL with Citus and pgBackRest 2.52+)
              --gigabytes G     data set on the two workers together, in GB of pg_database_size (default 1.5)
              --s3proxy-jar P   S3Proxy's jar with dependencies (default benchmark/target/s3proxy/s3proxy.jar)
            """;

    private final Cleanup cleanup;
    private final TestS3Server s3;
    private final String stanzaPrefix = "backup-run-" + ProcessHandle.current().pid() + "-";
    private final Report report = new Report();

    private BackupRun(Cleanup cleanup, TestS3Server s3) {
        this.cleanup = cleanup;
        this.s3 = s3;
    }

    public static void main(String[] args) throws Exception {
        double gigabytes = 1.5;
        String jar = System.getProperty(TestS3Server.JAR_PROPERTY, "benchmark/target/s3proxy/s3proxy.jar");
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
                case "--s3proxy-jar" -> jar = value;
                default -> {
                    System.err.print("unknown option " + name + "\n" + USAGE);
                    System.exit(2);
                }
            }
        }
        if (!(gigabytes > 0 && gigabytes <= 64)) {
            System.err.println("--gigabytes must be between 0 and 64");
            System.exit(2);
        }
        System.setProperty(TestS3Server.JAR_PROPERTY, Path.of(jar).toAbsolutePath().toString());
        String missing = missingPrerequisite();
        if (missing != null) {
            System.out.println("SKIPPED: " + missing);
            return;
        }
        Path dir = Files.createTempDirectory("citus-railway-backup-bench-");
        // pgBackRest runs as the postgres user and reads S3Proxy's certificate from under this directory.
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        try (Cleanup cleanup = new Cleanup(dir)) {
            String loadBefore = loadAverage();
            long started = System.nanoTime();
            TestS3Server s3 = cleanup.register(TestS3Server.start(dir.resolve("s3")));
            s3.createBucket(BUCKET);
            BackupRun run = new BackupRun(cleanup, s3);
            try {
                run.run(gigabytes);
            } catch (Exception | AssertionError e) {
                System.out.println();
                System.out.println("FAILED: " + e.getMessage());
                run.report.print(System.out);
                throw e;
            }
            System.out.println();
            System.out.println("Backup and restore through node/entrypoint.sh, " + Machine.describe());
            System.out.printf(Locale.ROOT, "Load average (1, 5, 15 min) before: %s; after: %s; whole run %.1f min%n",
                    loadBefore, loadAverage(), seconds(started) / 60);
            System.out.println();
            run.report.print(System.out);
        }
    }

    /** Why this machine cannot run the benchmark, or null. */
    private static String missingPrerequisite() {
        if (!PostgresUser.runningAsRoot()) {
            return "needs root: the node scripts start as root and drop to the postgres user, as in the image";
        }
        if (!Files.isRegularFile(NodeUnderTest.ENTRYPOINT)) {
            return "no " + NodeUnderTest.ENTRYPOINT + ": run from the repository root or pass -Dproject.root=<root>";
        }
        if (PostgresBinaries.withCitus().isEmpty()) {
            return PostgresBinaries.citusMissingReason();
        }
        var noS3 = TestS3Server.unavailableReason();
        if (noS3.isPresent()) {
            return noS3.get() + "; build with ./mvnw -pl benchmark -am package, or pass --s3proxy-jar";
        }
        Result version = NodeUnderTest.run(List.of("sh", "-c", "pgbackrest version 2>&1 || true"), Map.of());
        Matcher m = Pattern.compile("pgBackRest (\\d+)\\.(\\d+)").matcher(version.stdout());
        if (!m.find()) {
            return "no pgbackrest on PATH (apt-get install pgbackrest)";
        }
        if (Integer.parseInt(m.group(1)) == 2 && Integer.parseInt(m.group(2)) < 52) {
            return m.group() + " cannot back up PostgreSQL 17; 2.52 or newer is needed";
        }
        return null;
    }

    private void run(double gigabytes) throws Exception {
        NodeBinaries binaries = NodeBinaries.best();
        AtomicInteger created = new AtomicInteger();
        System.out.printf(Locale.ROOT, "Starting a coordinator and 2 workers (%s, node/entrypoint.sh), S3Proxy at %s%n",
                binaries.postgres().label(), s3.endpoint());
        // Registered before it starts, so a node that fails to boot is cleaned up too.
        NodeCluster cluster = new NodeCluster(binaries,
                node -> cleanup.register(withBucket(node, NODE_NAMES.get(created.getAndIncrement()))));
        Map<String, NodeUnderTest> nodes = new LinkedHashMap<>();
        nodes.put("coordinator", cluster.coordinator);
        nodes.put("worker1", cluster.worker1);
        nodes.put("worker2", cluster.worker2);
        for (NodeUnderTest node : nodes.values()) {
            awaitLine(node, "backups: stanza '" + node.env("BACKUP_STANZA") + "' ready", Duration.ofMinutes(2));
        }
        NodeUnderTest coordinator = cluster.coordinator;

        CpuAccount.Sample runStart = CpuAccount.sample(S3PROXY);
        load(coordinator, cluster, gigabytes);
        Map<String, Long> sizes = new LinkedHashMap<>();
        nodes.forEach((name, node) -> sizes.put(name, databaseSize(node)));
        long total = sizes.values().stream().mapToLong(Long::longValue).sum();
        report.info("Data set (pg_database_size)", String.format(Locale.ROOT,
                "coordinator %s, worker1 %s, worker2 %s; total %s", mb(sizes.get("coordinator")),
                mb(sizes.get("worker1")), mb(sizes.get("worker2")), mb(total)));
        // Whatever WAL of the load is not in the bucket yet goes first, so that no backup below waits for it.
        long loaded = System.nanoTime();
        Map<String, Double> caughtUp = new LinkedHashMap<>();
        try (ExecutorService pool = Executors.newFixedThreadPool(nodes.size())) {
            Map<String, Future<Double>> waits = new LinkedHashMap<>();
            nodes.forEach((name, node) -> waits.put(name, pool.submit(() -> {
                awaitArchived(node);
                return seconds(loaded);
            })));
            for (var entry : waits.entrySet()) {
                caughtUp.put(entry.getKey(), entry.getValue().get());
            }
        }
        List<String> archiving = new ArrayList<>();
        nodes.forEach((name, node) -> archiving.add(String.format(Locale.ROOT, "%s %.0f s (%s segments archived in"
                + " all)", name, caughtUp.get(name), node.query("select archived_count from pg_stat_archiver"))));
        report.info("WAL archive caught up, after the load", String.join(", ", archiving));

        // 1. Full backups: each node alone, then the three at once.
        System.out.println("Full backups, one node at a time");
        for (var entry : nodes.entrySet()) {
            awaitArchived(entry.getValue());
            double s = backUp(entry.getValue());
            report.info("Full backup, " + entry.getKey() + " alone", throughput(sizes.get(entry.getKey()), s));
        }
        System.out.println("Full backups, the 3 nodes at once");
        nodes.values().forEach(BackupRun::awaitArchived);
        Map<String, Double> parallel = new LinkedHashMap<>();
        long t0 = System.nanoTime();
        try (ExecutorService pool = Executors.newFixedThreadPool(nodes.size())) {
            Map<String, Future<Double>> running = new LinkedHashMap<>();
            nodes.forEach((name, node) -> running.put(name, pool.submit(() -> backUp(node))));
            for (var entry : running.entrySet()) {
                parallel.put(entry.getKey(), entry.getValue().get());
            }
        }
        double clusterBackup = seconds(t0);
        report.info("Full backup, 3 nodes in parallel (cluster)", throughput(total, clusterBackup));
        for (var entry : parallel.entrySet()) {
            report.info("  of which " + entry.getKey(), throughput(sizes.get(entry.getKey()), entry.getValue()));
        }
        nodes.forEach((name, node) -> report.detail("pgBackRest's account of " + name + "'s last full backup: "
                + backupInfo(node)));

        // 2. A few more writes, the restore point, writes that must not come back; all of it archived.
        coordinator.execute(
                "insert into orders select g, g % 100000, timestamptz '2025-01-01' + g * interval '1 second',"
                        + " (g % 100000) / 100.0, 'after the backup' from generate_series(" + (NEXT_ID.get() + 1)
                        + ", " + (NEXT_ID.get() + 20_000) + ") g",
                "update products set description = 'changed after the backup' where id <= 1000",
                "insert into products select g, 'added after the backup', '' from generate_series(-100, -1) g");
        NEXT_ID.addAndGet(20_000);
        String point = "backup-run-" + System.currentTimeMillis();
        Counts atPoint = Counts.of(coordinator);
        coordinator.execute("select citus_create_restore_point('" + point + "')");
        coordinator.execute(
                "insert into orders select g, 1, now(), 1, 'after the point' from generate_series("
                        + (NEXT_ID.get() + 1) + ", " + (NEXT_ID.get() + 5_000) + ") g",
                "delete from products where id between 1001 and 1100");
        nodes.values().forEach(BackupRun::awaitArchived);
        System.out.println("Restore point '" + point + "' at " + atPoint);
        for (NodeUnderTest node : nodes.values()) {
            node.stop();
        }

        // 3. The largest node alone, from a destroyed volume.
        String largest = sizes.entrySet().stream().filter(e -> !e.getKey().equals("coordinator"))
                .max(Map.Entry.comparingByValue()).orElseThrow().getKey();
        System.out.println("Restoring " + largest + " alone");
        CpuAccount.Sample aloneStart = CpuAccount.sample(S3PROXY);
        RestoreTiming alone = restore(List.of(nodes.get(largest)), point, new long[1]).get(0);
        CpuAccount.Span aloneCpu = CpuAccount.between(aloneStart, CpuAccount.sample(S3PROXY));
        nodes.get(largest).stop();
        report.info("Restore, largest node alone (" + largest + ", " + mb(sizes.get(largest)) + ")", alone.describe());

        // 4. The whole cluster at once, every volume destroyed.
        System.out.println("Restoring the whole cluster at once");
        CpuAccount.Sample clusterCpuStart = CpuAccount.sample(S3PROXY);
        long[] clusterStart = new long[1];
        List<RestoreTiming> each = restore(List.copyOf(nodes.values()), point, clusterStart);
        double lastNode = seconds(clusterStart[0]);
        waitUntil(LONG_WAIT, "citus_check_cluster_node_health() all true", () ->
                "t".equals(coordinator.query("select bool_and(result) from citus_check_cluster_node_health()")));
        // A write that reaches every node (the reference table has a placement on each), through two-phase commit.
        coordinator.execute("insert into restore_probe (note) values ('the restored cluster accepts writes')");
        double clusterRestore = seconds(clusterStart[0]);
        CpuAccount.Span clusterCpu = CpuAccount.between(clusterCpuStart, CpuAccount.sample(S3PROXY));
        report.info("Restore, whole cluster in parallel", String.format(Locale.ROOT,
                "%.1f s to health all true and a write on every node", clusterRestore));
        for (int i = 0; i < NODE_NAMES.size(); i++) {
            report.info("  of which " + NODE_NAMES.get(i) + " writable", each.get(i).describe());
        }
        report.info("  then health check and a write through the coordinator", String.format(Locale.ROOT,
                "%.1f s", clusterRestore - lastNode));
        double ratio = clusterRestore / alone.writable();
        report.target("Cluster restore / largest node alone", String.format(Locale.ROOT, "%.2f x (%.1f s / %.1f s)",
                ratio, clusterRestore, alone.writable()), "<= " + GOAL_RATIO + " x", ratio <= GOAL_RATIO);
        report.info("CPU, restore of the largest node alone", aloneCpu.describe("S3Proxy"));
        report.info("CPU, restore of the whole cluster", clusterCpu.describe("S3Proxy"));

        Counts after = Counts.of(coordinator);
        List<String> workerProducts = new ArrayList<>();
        boolean referenceEverywhere = true;
        for (NodeUnderTest worker : List.of(cluster.worker1, cluster.worker2)) {
            long count = Long.parseLong(worker.query("select count(*) from products"));
            workerProducts.add(Long.toString(count));
            referenceEverywhere &= count == atPoint.products();
        }
        boolean same = after.equals(atPoint) && referenceEverywhere;
        report.target("Rows after restore = rows at the restore point", after + "; products on the workers: "
                + String.join(", ", workerProducts), "equal: " + atPoint, same);
        report.info("CPU used by other programs on the machine meanwhile",
                CpuAccount.between(runStart, CpuAccount.sample(S3PROXY)).describeOthers());
        report.detail("Restore timings per node, from its boot: 'files copied' when pgBackRest's restore is over and"
                + " the server starts (WAL replay to the point follows); 'writable' when the node has said the restore"
                + " is over (a coordinator only once every worker reports the same point) and a write on it"
                + " succeeded.");
        report.detail("Restore point: " + point + " (citus_create_restore_point on the coordinator), made after the"
                + " backups and 20 000 more order rows; 5 000 order rows and 100 product deletions after it are gone.");
    }

    private NodeUnderTest withBucket(NodeUnderTest node, String name) {
        String stanza = stanzaPrefix + name;
        // pgBackRest's lock directory (lock-path in node/lib/backup.sh) outlives the nodes.
        cleanup.register(() -> NodeUnderTest.deleteTree(Path.of("/tmp/pgbackrest-" + stanza)));
        return node.env(s3.nodeVariables(BUCKET, stanza));
    }

    /**
     * A distributed table (orders, 32 shards) with wide-ish rows of hex text (compressible, but not to nothing: a
     * worker's backup keeps about 40 % with zstd), and a reference table (products, about 5 % of the data) on every
     * node; loaded by INSERT ... SELECT through the coordinator until the workers' databases together reach the
     * requested size. Then VACUUM ANALYZE and a checkpoint, so that the backups copy a settled data set instead of
     * racing autovacuum and a checkpoint.
     */
    private static void load(NodeUnderTest coordinator, NodeCluster cluster, double gigabytes) throws Exception {
        long target = (long) (gigabytes * 1024 * MB);
        coordinator.execute(
                "create table orders (id bigint primary key, customer_id int not null, created_at timestamptz not null,"
                        + " amount numeric(12, 2) not null, note text not null)",
                "select create_distributed_table('orders', 'id', shard_count => " + SHARDS + ")",
                "create table products (id int primary key, name text not null, description text not null)",
                "select create_reference_table('products')",
                "create table restore_probe (id bigserial primary key, at timestamptz not null default now(),"
                        + " note text)",
                "select create_reference_table('restore_probe')");
        long productRows = Math.max(2_000, target / 20 / 330);
        long t0 = System.nanoTime();
        coordinator.execute("insert into products select g, 'product ' || g, md5(g::text) || md5((g + 1)::text)"
                + " || md5((g + 2)::text) || md5((g + 3)::text) || md5((g + 4)::text) || md5((g + 5)::text)"
                + " || md5((g + 6)::text) || md5((g + 7)::text) from generate_series(1, " + productRows + ") g");
        System.out.printf(Locale.ROOT, "Loading orders until the workers hold %s (%d loaders, %d rows a batch)%n",
                mb(target), LOADERS, LOAD_BATCH_ROWS);
        AtomicBoolean reached = new AtomicBoolean();
        try (ExecutorService pool = Executors.newFixedThreadPool(LOADERS)) {
            List<Future<?>> loaders = new ArrayList<>();
            for (int i = 0; i < LOADERS; i++) {
                loaders.add(pool.submit(() -> {
                    try (Connection c = coordinator.connect(); Statement s = c.createStatement()) {
                        while (!reached.get()) {
                            long last = NEXT_ID.addAndGet(LOAD_BATCH_ROWS);
                            s.execute("insert into orders select g, g % 100000, timestamptz '2025-01-01'"
                                    + " + g * interval '1 second', (g % 100000) / 100.0, md5(g::text)"
                                    + " || md5((g * 7)::text) || md5((g * 13)::text) || md5((g * 31)::text)"
                                    + " from generate_series(" + (last - LOAD_BATCH_ROWS + 1) + ", " + last + ") g");
                            if (databaseSize(cluster.worker1) + databaseSize(cluster.worker2) >= target) {
                                reached.set(true);
                            }
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> loader : loaders) {
                loader.get();
            }
        }
        double loadSeconds = seconds(t0);
        long t1 = System.nanoTime();
        coordinator.execute("vacuum analyze orders", "vacuum analyze products");
        for (NodeUnderTest node : cluster.nodes()) {
            node.execute("checkpoint");
        }
        long loaded = databaseSize(cluster.worker1) + databaseSize(cluster.worker2);
        System.out.printf(Locale.ROOT, "  %s on the workers (%d order rows, %d product rows) loaded in %.0f s"
                + " (%.1f MB/s), vacuumed and checkpointed in %.0f s%n", mb(loaded), NEXT_ID.get(), productRows,
                loadSeconds, loaded / (double) MB / loadSeconds, seconds(t1));
    }

    /** Wall time of one full backup of the node, by pgBackRest as the postgres user with the node's own settings. */
    private static double backUp(NodeUnderTest node) {
        long t0 = System.nanoTime();
        Result backup = NodeUnderTest.runAsPostgres(List.of("pgbackrest",
                "--config=" + node.configDir.resolve("pgbackrest.conf"), "--stanza=" + node.env("BACKUP_STANZA"),
                "--type=full", "backup"), Map.of());
        double s = seconds(t0);
        if (backup.exitCode() != 0) {
            throw new IllegalStateException("backup of " + node.env("BACKUP_STANZA") + " failed: " + backup.stdout()
                    + backup.stderr());
        }
        return s;
    }

    private static final Pattern BACKUP_SIZES = Pattern.compile(
            "\"info\":\\{\"delta\":\\d+,\"repository\":\\{\"delta\":\\d+,\"size\":(\\d+)\\},\"size\":(\\d+)\\}");

    /** The newest backup's size on disk and in the bucket, as pgBackRest counts them. */
    private static String backupInfo(NodeUnderTest node) {
        Result info = NodeUnderTest.runAsPostgres(List.of("pgbackrest",
                "--config=" + node.configDir.resolve("pgbackrest.conf"), "--stanza=" + node.env("BACKUP_STANZA"),
                "--output=json", "info"), Map.of());
        Matcher m = BACKUP_SIZES.matcher(info.stdout());
        String last = null;
        while (m.find()) {
            last = "files " + mb(Long.parseLong(m.group(2))) + " (every database and the WAL of the backup), "
                    + mb(Long.parseLong(m.group(1))) + " in the bucket (zstd)";
        }
        return last == null ? "not readable: " + info.stdout() + info.stderr() : last;
    }

    /**
     * Archives the node's current WAL segment and waits until it is in the bucket: no backlog for what follows. A WAL
     * record first, because on an idle node at a segment boundary pg_switch_wal() switches nothing and names a segment
     * that would not be archived until something is written.
     */
    private static void awaitArchived(NodeUnderTest node) {
        node.execute("select pg_logical_emit_message(false, 'backup-run', 'archive up to here')");
        String segment = node.query("select pg_walfile_name(pg_switch_wal())");
        waitUntil(LONG_WAIT, node.env("BACKUP_STANZA") + ": " + segment + " archived", () -> node.query(
                "select coalesce(last_archived_wal >= '" + segment + "', false) from pg_stat_archiver").equals("t"));
    }

    /** Seconds from a node's boot to the end of pgBackRest's copy (the server starting) and to being writable. */
    private record RestoreTiming(double filesCopied, double writable) {
        String describe() {
            return String.format(Locale.ROOT, "%.1f s (files copied from the bucket at %.1f s)", writable,
                    filesCopied);
        }
    }

    /**
     * Destroys the nodes' volumes (all but lost+found, as a new Railway volume), boots every one of them at once with
     * BACKUP_RESTORE_POINT and waits until each is writable at the point. {@code started} receives the boots' start.
     */
    private static List<RestoreTiming> restore(List<NodeUnderTest> nodes, String point, long[] started)
            throws Exception {
        for (NodeUnderTest node : nodes) {
            try (var entries = Files.list(node.volume)) {
                for (Path entry : entries.toList()) {
                    if (!entry.getFileName().toString().equals("lost+found")) {
                        NodeUnderTest.deleteTree(entry);
                    }
                }
            }
            node.env("BACKUP_RESTORE_POINT", point);
        }
        long t0 = System.nanoTime();
        started[0] = t0;
        nodes.forEach(NodeUnderTest::startInBackground);
        List<RestoreTiming> timings = new ArrayList<>();
        try (ExecutorService pool = Executors.newFixedThreadPool(nodes.size())) {
            List<Future<RestoreTiming>> waits = new ArrayList<>();
            for (NodeUnderTest node : nodes) {
                waits.add(pool.submit(() -> awaitRestored(node, point, t0)));
            }
            for (Future<RestoreTiming> wait : waits) {
                timings.add(wait.get());
            }
        }
        return timings;
    }

    /**
     * Waits for the node's own word that the restore is over (node/lib/restore.sh: a worker once promoted at the
     * point; a coordinator once every worker in its metadata reports the point too, before which it takes no TCP
     * connection), then for a write on it over TCP: a temporary table, which needs a primary out of recovery.
     */
    private static RestoreTiming awaitRestored(NodeUnderTest node, String point, long t0) {
        String stanza = node.env("BACKUP_STANZA");
        List<String> doneLines = List.of(
                "restore: stanza '" + stanza + "' is at restore point '" + point + "' and accepts writes",
                "restore: every worker is at restore point '" + point + "'; the cluster accepts connections");
        double[] copied = {-1};
        waitUntil(LONG_WAIT, stanza + " restored", () -> {
            if (!node.process().isAlive()) {
                throw new IllegalStateException(stanza + " exited during the restore:\n" + node.output());
            }
            String output = node.output();
            if (copied[0] < 0 && output.contains("citus-node: starting the ")) {
                copied[0] = seconds(t0);
            }
            if (doneLines.stream().noneMatch(output::contains)) {
                return false;
            }
            node.execute("create temp table restore_probe_local (x int)", "insert into restore_probe_local values (1)");
            return true;
        });
        return new RestoreTiming(copied[0], seconds(t0));
    }

    private static void awaitLine(NodeUnderTest node, String text, Duration timeout) {
        waitUntil(timeout, "'" + text + "' in the node's output", () -> node.allOutput().contains(text));
    }

    /** Polls every 100 ms; a condition that throws IllegalStateException ends the wait with that error. */
    private static void waitUntil(Duration timeout, String what, BooleanSupplier condition) {
        long deadline = System.nanoTime() + timeout.toNanos();
        RuntimeException last = null;
        while (System.nanoTime() < deadline) {
            try {
                if (condition.getAsBoolean()) {
                    return;
                }
            } catch (IllegalStateException e) {
                if (e.getCause() == null) {
                    throw e;
                }
                last = e; // a query that failed: not yet
            } catch (RuntimeException e) {
                last = e;
            }
            NodeUnderTest.sleep(100);
        }
        throw new IllegalStateException("not within " + timeout.toSeconds() + " s: " + what
                + (last == null ? "" : " (last error: " + last.getMessage() + ")"));
    }

    /** What the correctness check compares: the distributed table's rows and id sum, the reference table's rows. */
    private record Counts(long orders, String orderIdSum, long products) {
        static Counts of(NodeUnderTest coordinator) {
            String[] o = coordinator.query("select count(*) || ' ' || sum(id) from orders").split(" ");
            return new Counts(Long.parseLong(o[0]), o[1],
                    Long.parseLong(coordinator.query("select count(*) from products")));
        }

        @Override
        public String toString() {
            return String.format(Locale.ROOT, "orders %d rows (id sum %s), products %d rows", orders, orderIdSum,
                    products);
        }
    }

    private static long databaseSize(NodeUnderTest node) {
        return Long.parseLong(node.query("select pg_database_size(current_database())"));
    }

    private static String throughput(long bytes, double seconds) {
        return String.format(Locale.ROOT, "%s in %.1f s = %.1f MB/s", mb(bytes), seconds,
                bytes / (double) MB / seconds);
    }

    private static String mb(long bytes) {
        return String.format(Locale.ROOT, "%.0f MB", bytes / (double) MB);
    }

    private static double seconds(long since) {
        return (System.nanoTime() - since) / 1e9;
    }

    private static String loadAverage() {
        try {
            String[] fields = Files.readString(Path.of("/proc/loadavg")).split(" ");
            return fields[0] + " " + fields[1] + " " + fields[2];
        } catch (java.io.IOException e) {
            return "unknown";
        }
    }
}
