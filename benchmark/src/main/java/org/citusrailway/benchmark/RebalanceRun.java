package org.citusrailway.benchmark;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.citusrailway.testkit.ComposeProject;
import org.citusrailway.testkit.DockerEngine;
import org.citusrailway.testkit.Sql;

/**
 * Scale-out speed through the product's own path: the compose cluster (the project's images, node settings, TLS,
 * container network), worker3 started, the registrar registering it and starting the rebalance. Per transfer mode:
 * time from worker3 healthy to balanced, the rebalance job's own time, and what a writer doing single-row INSERTs saw
 * meanwhile (max and p99 latency, errors, rows lost). Then one shard group moved by hand online and with
 * block_writes, its phases read from the coordinator's log (citus.log_remote_commands).
 * Usage: java -cp benchmark.jar org.citusrailway.benchmark.RebalanceRun [--rows N] [--modes m1,m2,...]
 * (from the repository root, images built with docker compose build; uses the compose ports 5432 and 8080).
 */
public final class RebalanceRun {
    private static final String PROJECT = "citus-rebalance-benchmark";
    private static final String PASSWORD = "rebalanceBenchmark42";
    /** Citus's own defaults for the background task queue: what the registrar's rebalance ran with before. */
    private static final String CITUS_DEFAULTS = "auto-citus-defaults";
    private static final Path ROOT = Path.of("").toAbsolutePath();
    private static final Pattern LOG_LINE = Pattern.compile(
            "(\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d\\.\\d{3}) \\S+ \\[(\\d+)\\] (?:NOTICE|LOG):  (?:issuing )?(.*)$");

    private final Path envFile;
    private final int rows;

    private RebalanceRun(Path envFile, int rows) {
        this.envFile = envFile;
        this.rows = rows;
    }

    public static void main(String[] args) throws Exception {
        int rows = 300_000;
        List<String> modes = List.of("auto", "block_writes", CITUS_DEFAULTS);
        for (int i = 0; i + 1 < args.length; i += 2) {
            switch (args[i]) {
                case "--rows" -> rows = Integer.parseInt(args[i + 1]);
                case "--modes" -> modes = List.of(args[i + 1].split(","));
                default -> {
                    System.err.println("unknown option " + args[i]);
                    System.exit(2);
                }
            }
        }
        var unusable = DockerEngine.unusableBecause(List.of("citus-railway/coordinator:local",
                "citus-railway/worker:local", "citus-railway/registrar:local"));
        if (unusable.isPresent()) {
            System.err.println("cannot run: " + unusable.get() + " (build the images with docker compose build)");
            System.exit(2);
        }
        Path envFile = Files.createTempFile("rebalance-benchmark-", ".env");
        RebalanceRun run = new RebalanceRun(envFile, rows);
        try {
            List<String> report = new ArrayList<>();
            for (String mode : modes) {
                report.addAll(run.measure(mode));
            }
            System.out.println();
            System.out.println("Rebalance 2 -> 3 workers, compose cluster on " + Machine.describe());
            report.forEach(System.out::println);
        } finally {
            run.compose(Duration.ofMinutes(3), "down", "-v", "--remove-orphans");
            Files.deleteIfExists(envFile);
        }
    }

    private List<String> measure(String mode) throws Exception {
        String registrarMode = mode.equals(CITUS_DEFAULTS) ? "auto" : mode;
        Files.writeString(envFile, "POSTGRES_PASSWORD=" + PASSWORD + "\nREBALANCE_TRANSFER_MODE=" + registrarMode + "\n");
        progress(mode + ": fresh cluster");
        compose(Duration.ofMinutes(3), "down", "-v", "--remove-orphans");
        check(compose(Duration.ofMinutes(5), "up", "-d", "--wait"), "up");
        List<String> out = new ArrayList<>();
        try (Connection c = connect()) {
            awaitValue(c, "select count(*) from pg_dist_node where isactive and groupid <> 0", "2", Duration.ofMinutes(2));
            if (mode.equals(CITUS_DEFAULTS)) {
                Sql.execute(c, "alter system set citus.max_background_task_executors = 1");
                Sql.execute(c, "alter system set citus.max_background_task_executors_per_node = 1");
                Sql.execute(c, "alter system set citus.background_task_queue_interval = '5s'");
                Sql.execute(c, "select pg_reload_conf()");
            }
            progress(mode + ": loading " + rows + " rows");
            String size = load(c);
            try (InsertWriter writer = new InsertWriter(this::connect)) {
                Thread.sleep(2000);
                progress(mode + ": starting worker3");
                long before = System.nanoTime();
                check(compose(Duration.ofMinutes(5), "--profile", "worker3", "up", "-d", "--wait", "worker3"), "worker3");
                long healthy = System.nanoTime();
                awaitValue(c, "select count(*) from pg_dist_background_job where state = 'finished'", "1",
                        Duration.ofMinutes(10));
                long balanced = System.nanoTime();
                Thread.sleep(1000);
                List<String> job = row(c, "select extract(epoch from finished_at - started_at), (select count(*) from"
                        + " pg_dist_background_task t where t.job_id = j.job_id), to_char(started_at at time zone 'UTC',"
                        + " 'YYYY-MM-DD HH24:MI:SS.MS'), to_char(finished_at at time zone 'UTC',"
                        + " 'YYYY-MM-DD HH24:MI:SS.MS') from pg_dist_background_job j order by job_id desc limit 1");
                InsertWriter.Window window = writer.window(job.get(2), job.get(3));
                out.add(String.format(Locale.ROOT, "%-20s %s data; worker3 started -> healthy %.1f s, -> balanced %.1f s;"
                        + " rebalance job %.1f s (%s tasks); writer during the job: %d inserts, p99 %.1f ms,"
                        + " max %.1f ms, errors %s", mode, size, (healthy - before) / 1e9, (balanced - before) / 1e9,
                        Double.parseDouble(job.get(0)), job.get(1), window.count(), window.p99(), window.max(),
                        window.errors()));
                if (!mode.equals(CITUS_DEFAULTS)) {
                    out.addAll(phases(c, mode.equals("block_writes") ? "block_writes" : "force_logical", writer));
                }
                writer.stop();
                out.add(String.format(Locale.ROOT, "%-20s writer committed %d rows, %d found: lost %d", "",
                        writer.committed(), countWrites(c), writer.committed() - countWrites(c)));
            }
        }
        return out;
    }

    /** Creates and fills two colocated distributed tables and a reference table; returns their size. */
    private String load(Connection c) {
        int users = rows / 3;
        for (String sql : List.of("create table users (id bigint primary key, name text, payload text)",
                "create table events (id bigserial, user_id bigint, at timestamptz default now(), payload text,"
                        + " primary key (user_id, id))",
                "create table countries (code text primary key, name text)",
                "create table writes (id bigint primary key, at timestamptz default now())",
                "select create_distributed_table('users', 'id')",
                "select create_distributed_table('events', 'user_id', colocate_with := 'users')",
                "select create_distributed_table('writes', 'id', colocate_with := 'users')",
                "select create_reference_table('countries')",
                "insert into countries select 'c' || g, md5(g::text) from generate_series(1, 200) g",
                "insert into users select g, 'u' || g, repeat(md5(g::text), 3) from generate_series(1, " + users
                        + ") g",
                "insert into events (user_id, payload) select (g % " + users + ") + 1, repeat(md5(g::text), 2)"
                        + " from generate_series(1, " + (rows - users) + ") g")) {
            Sql.execute(c, sql);
        }
        return Sql.value(c, "select pg_size_pretty(citus_total_relation_size('users')"
                + " + citus_total_relation_size('events'))");
    }

    /**
     * Moves one shard group off worker3 and back, by hand, with the writer running, and splits each move into phases
     * from the coordinator's log lines of that session.
     */
    private List<String> phases(Connection c, String mode, InsertWriter writer) throws Exception {
        List<String> out = new ArrayList<>();
        List<String> shard = row(c, "select shardid, nodename from pg_dist_shard_placement where shardid in"
                + " (select shardid from pg_dist_shard where logicalrelid = 'users'::regclass)"
                + " and nodename like 'worker3%' limit 1");
        String worker1 = Sql.value(c, "select nodename from pg_dist_node where nodename like 'worker1%'");
        for (String[] move : List.of(new String[] {shard.get(1), worker1}, new String[] {worker1, shard.get(1)})) {
            String since = LocalDateTime.now(java.time.ZoneOffset.UTC).minusSeconds(1)
                    .format(DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss"));
            Sql.execute(c, "set citus.log_remote_commands = on");
            Sql.execute(c, "set log_min_messages = notice");
            Sql.execute(c, "set client_min_messages = warning");
            String pid = Sql.value(c, "select pg_backend_pid()");
            String started = Sql.value(c, "select to_char(clock_timestamp() at time zone 'UTC',"
                    + " 'YYYY-MM-DD HH24:MI:SS.MS')");
            Sql.execute(c, "select citus_move_shard_placement(" + shard.get(0) + ", '" + move[0] + "', 5432, '"
                    + move[1] + "', 5432, '" + mode + "')");
            Sql.execute(c, "reset citus.log_remote_commands");
            Sql.execute(c, "reset log_min_messages");
            String ended = Sql.value(c, "select to_char(clock_timestamp() at time zone 'UTC',"
                    + " 'YYYY-MM-DD HH24:MI:SS.MS')");
            Thread.sleep(500);
            String log = compose(Duration.ofMinutes(1), "logs", "--no-color", "--no-log-prefix", "--since", since,
                    "coordinator");
            InsertWriter.Window window = writer.window(started, ended);
            out.add(String.format(Locale.ROOT, "%-20s one shard group %s -> %s by hand (%s): %s; writer: %d inserts,"
                    + " max %.1f ms, errors %s", "", move[0], move[1], mode, phaseLine(log, pid, started, ended),
                    window.count(), window.max(), window.errors()));
        }
        return out;
    }

    /** Segments between marker commands in one session's log lines; "writes blocked" from the first shard lock. */
    static String phaseLine(String log, String pid, String started, String ended) {
        record Line(double at, String text) {
        }
        double start = seconds(started);
        double end = seconds(ended);
        List<Line> lines = new ArrayList<>();
        for (String raw : log.split("\n")) {
            Matcher m = LOG_LINE.matcher(raw.strip());
            // find: compose may put terminal escapes first; the session's earlier move is left out by time
            if (m.find() && m.group(2).equals(pid) && seconds(m.group(1)) >= start) {
                lines.add(new Line(seconds(m.group(1)), m.group(3)));
            }
        }
        if (lines.isEmpty()) {
            return "no log lines of session " + pid + " found";
        }
        Map<Double, String> markers = new TreeMap<>();
        Double lock = null;
        for (Line line : lines) {
            String label = label(line.text());
            if (label != null && !markers.containsValue(label)) {
                markers.put(line.at(), label);
            }
            if (lock == null && line.text().contains("lock_shard_metadata")) {
                lock = line.at();
            }
        }
        StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "total %.0f ms =", (end - start) * 1000));
        double previousAt = start;
        String previous = "checks";
        for (var marker : markers.entrySet()) {
            sb.append(String.format(Locale.ROOT, " %s %.0f,", previous, (marker.getKey() - previousAt) * 1000));
            previousAt = marker.getKey();
            previous = marker.getValue();
        }
        sb.append(String.format(Locale.ROOT, " %s %.0f ms", previous, (end - previousAt) * 1000));
        if (lock != null) {
            sb.append(String.format(Locale.ROOT, "; writes blocked %.0f ms", (end - lock) * 1000));
        }
        return sb.toString();
    }

    private static String label(String command) {
        if (command.contains("citus_cleanup_orphaned_resources")) {
            return "cleanup of earlier moves";
        }
        if (command.contains("pg_dist_operationid_seq")) {
            return "target tables";
        }
        if (command.startsWith("CREATE_REPLICATION_SLOT")) {
            return "slot + subscription";
        }
        if (command.contains("worker_copy_table_to_node")) {
            return "copy + indexes";
        }
        if (command.matches("ALTER SUBSCRIPTION \\S+ ENABLE")) {
            return "catch-up";
        }
        if (command.contains("lock_shard_metadata")) {
            return "write lock";
        }
        return null;
    }

    private static double seconds(String stamp) {
        LocalDateTime t = LocalDateTime.parse(stamp.replace(' ', 'T'));
        return t.toEpochSecond(java.time.ZoneOffset.UTC) + t.getNano() / 1e9;
    }

    private long countWrites(Connection c) {
        return Long.parseLong(Sql.value(c, "select count(*) from writes"));
    }

    Connection connect() throws SQLException {
        return ComposeProject.connectCoordinator(PASSWORD);
    }

    private static void awaitValue(Connection c, String sql, String value, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        String last = null;
        while (System.nanoTime() < deadline) {
            last = Sql.value(c, sql);
            if (value.equals(last)) {
                return;
            }
            Thread.sleep(100);
        }
        throw new IllegalStateException(sql + " still " + last + " after " + timeout);
    }

    /** The first row's columns as text. */
    private static List<String> row(Connection c, String sql) {
        return Sql.rows(c, sql, rs -> {
            List<String> values = new ArrayList<>();
            for (int i = 1; i <= rs.getMetaData().getColumnCount(); i++) {
                values.add(rs.getString(i));
            }
            return values;
        }).get(0);
    }

    private String compose(Duration timeout, String... arguments) {
        ComposeProject.Result result = new ComposeProject(PROJECT, envFile, ROOT).compose(timeout, arguments);
        return result.ok() ? result.out() : "FAILED " + result.code() + ": " + result.out();
    }

    private static void check(String composeOutput, String what) {
        if (composeOutput.startsWith("FAILED")) {
            throw new IllegalStateException("docker compose " + what + " " + composeOutput);
        }
    }

    private static void progress(String message) {
        System.err.println("[rebalance] " + message);
    }
}
