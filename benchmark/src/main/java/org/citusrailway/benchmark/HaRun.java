package org.citusrailway.benchmark;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import org.citusrailway.testkit.Await;
import org.citusrailway.testkit.ComposeProject;
import org.citusrailway.testkit.DockerEngine;
import org.citusrailway.testkit.ha.HaCompose;
import org.citusrailway.testkit.ha.HaCompose.Member;
import org.citusrailway.testkit.ha.PacedWriter;

/**
 * The high-availability variant's failover figures, through the compose clusters as they are: the price of
 * synchronous replication (single-row insert latency through the endpoint, HA against the default template, same
 * machine, same run), then with one writer per worker group inserting a row every 10 ms through the stable endpoint:
 * planned worker switchovers, SIGKILLed worker primaries and SIGKILLed coordinator primaries (each kept down until its
 * standby took over, then started again to rejoin), five of each. Targets: worker switchover longest wait <= 3 s with
 * no error; writes resumed <= 25 s p95 after a worker or coordinator kill; >= 99 % of the other group's writes
 * succeed during a worker failover; no acknowledged row lost.
 *
 * <p>Usage, from the repository root: {@code java -cp benchmark/target/benchmark.jar
 * org.citusrailway.benchmark.HaRun [--runs 5]}
 */
public final class HaRun {
    private static final Path ROOT = Path.of("").toAbsolutePath();
    private static final List<String> BASE_IMAGES = List.of("citusdata/citus:13.2.0", "eclipse-temurin:25-jdk",
            "debian:bookworm-slim");
    private static final String PASSWORD = "haRunPassword1";
    private static final int INSERTS = 3000;

    public static void main(String[] args) throws Exception {
        int runs = 5;
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--runs") && i + 1 < args.length) {
                runs = Integer.parseInt(args[++i]);
            } else {
                System.err.println("usage: java -cp benchmark/target/benchmark.jar org.citusrailway.benchmark.HaRun"
                        + " [--runs 5]   (from the repository root; needs a Docker engine with the base images)");
                System.exit(args[i].equals("--help") ? 0 : 2);
            }
        }
        Optional<String> unusable = DockerEngine.unusableBecause(BASE_IMAGES);
        if (unusable.isPresent()) {
            System.out.println("SKIPPED: " + unusable.get());
            return;
        }
        Path dir = Files.createTempDirectory("citus-ha-run-");
        try (Cleanup cleanup = new Cleanup(dir)) {
            Path envFile = dir.resolve("ha.env");
            Files.writeString(envFile, "POSTGRES_PASSWORD=" + PASSWORD + "\nNODE_MEMORY_LIMIT=512m\n");
            Report report = new Report();
            Percentiles single = insertLatencyOnTheDefaultTemplate(envFile);
            HaCompose ha = new HaCompose("citus-ha-run", envFile, ROOT, PASSWORD, 5432);
            try {
                ha.compose(Duration.ofMinutes(2), "down", "-v", "--remove-orphans");
                must(ha.compose(Duration.ofMinutes(25), "build"), "docker compose -f docker-compose.ha.yml build");
                must(ha.compose(Duration.ofMinutes(8), "up", "-d", "--wait"), "docker compose -f ... up");
                Await.until(Duration.ofMinutes(3), "a leader and a quorum standby in every group", () -> ha.groups()
                        .values().stream().filter(g -> g.stream().anyMatch(Member::leads)
                                && g.stream().anyMatch(Member::protects)).count() == 3);
                Percentiles synchronous = insertLatency(() -> ha.connect(ha.endpointPort()), "ha_latency");
                report.info("single-row insert through the endpoint, HA (quorum synchronous)",
                        describe(synchronous));
                report.info("single-row insert, default template (no standby)", describe(single));
                measureFailovers(ha, runs, report);
            } finally {
                ha.compose(Duration.ofMinutes(3), "down", "-v", "--remove-orphans");
            }
            report.detail("Insert latency: " + INSERTS + " single-row inserts into a distributed table, one connection,"
                    + " autocommit, 512 MB nodes. Failovers: one writer per worker group, a row every 10 ms through"
                    + " 127.0.0.1:5432, reconnecting after an error; a killed primary stays down until its standby"
                    + " leads, then is started and rejoins (pg_rewind) before the next run.");
            System.out.println();
            System.out.println("High availability through the compose cluster, " + Machine.describe());
            report.print(System.out);
        }
    }

    private static Percentiles insertLatencyOnTheDefaultTemplate(Path envFile) throws Exception {
        ComposeProject plain = new ComposeProject("citus-ha-run-default", envFile, ROOT);
        try {
            plain.compose(Duration.ofMinutes(2), "down", "-v", "--remove-orphans");
            must(plain.compose(Duration.ofMinutes(25), "build"), "docker compose build");
            must(plain.compose(Duration.ofMinutes(5), "up", "-d", "--wait"), "docker compose up -d --wait");
            Await.until(Duration.ofMinutes(2), "the registrar added both workers", () -> {
                try (Connection c = ComposeProject.connectCoordinator(PASSWORD); Statement s = c.createStatement();
                        var rs = s.executeQuery("select count(*) from pg_dist_node where isactive and groupid <> 0")) {
                    return rs.next() && rs.getInt(1) == 2;
                } catch (SQLException e) {
                    return false;
                }
            });
            return insertLatency(() -> ComposeProject.connectCoordinator(PASSWORD), "plain_latency");
        } finally {
            plain.compose(Duration.ofMinutes(3), "down", "-v", "--remove-orphans");
        }
    }

    private static Percentiles insertLatency(PacedWriter.Connector connector, String table) throws SQLException {
        try (Connection c = connector.connect(); Statement s = c.createStatement()) {
            s.execute("create table " + table + " (id bigint primary key, payload text)");
            s.execute("select create_distributed_table('" + table + "', 'id')");
            List<Double> millis = new ArrayList<>();
            try (PreparedStatement insert = c.prepareStatement("insert into " + table + " values (?, 'x')")) {
                for (int i = 0; i < INSERTS + 200; i++) {
                    long start = System.nanoTime();
                    insert.setLong(1, i);
                    insert.executeUpdate();
                    if (i >= 200) {
                        millis.add((System.nanoTime() - start) / 1e6);
                    }
                }
            }
            return Percentiles.of(millis);
        }
    }

    private static void measureFailovers(HaCompose ha, int runs, Report report) throws Exception {
        try (Connection c = ha.connect(ha.endpointPort()); Statement s = c.createStatement()) {
            s.execute("create table ha_writes (k int not null, id bigint not null, primary key (k, id))");
            s.execute("select create_distributed_table('ha_writes', 'k')");
        }
        Map<Integer, PacedWriter> writers = new TreeMap<>();
        for (int group : List.of(1, 2)) {
            List<Integer> keys = new ArrayList<>();
            try (Connection c = ha.connect(ha.endpointPort()); Statement s = c.createStatement(); var rs = s.executeQuery(
                    "select k from generate_series(1, 2000) k, pg_dist_placement p where p.shardid ="
                            + " get_shard_id_for_distribution_column('ha_writes', k) and p.groupid = " + group)) {
                while (rs.next()) {
                    keys.add(rs.getInt(1));
                }
            }
            PacedWriter writer = new PacedWriter("group" + group, () -> ha.connect(ha.endpointPort()),
                    keys.stream().mapToInt(Integer::intValue).toArray(), group * 1_000_000_000L);
            writers.put(group, writer);
            writer.start();
        }
        Thread.sleep(3000);

        List<Double> switchoverWaits = new ArrayList<>();
        int switchoverErrors = 0;
        for (int run = 0; run < runs; run++) {
            int group = 1 + run % 2;
            String from = leader(ha, group);
            String to = ha.partner(from);
            long start = System.nanoTime();
            must(ha.patronictl("switchover", "--group", Integer.toString(group), "--leader", from, "--candidate", to,
                    "--force"), "switchover");
            Await.until(Duration.ofSeconds(60), to + " leads", () -> to.equals(ha.leaderOrNull(group)));
            awaitStreaming(ha, group, from);
            long end = System.nanoTime();
            PacedWriter writer = writers.get(group);
            switchoverWaits.add((double) writer.longestWaitMillis(start, end));
            switchoverErrors += writer.errors(start, end).size();
        }
        Percentiles switchovers = Percentiles.of(switchoverWaits);
        report.target("worker switchover, longest write wait (max of " + runs + ")", String.format(Locale.ROOT,
                "%.0f ms, %d errors", switchovers.max(), switchoverErrors), "<= 3000 ms, 0 errors",
                switchovers.max() <= 3000 && switchoverErrors == 0);

        List<Double> workerResumes = new ArrayList<>();
        double othersWorst = 1;
        for (int run = 0; run < runs; run++) {
            int group = 2 - run % 2;
            String old = leader(ha, group);
            long killed = ha.killAndKeepDown(old);
            Await.until(Duration.ofSeconds(120), "a new primary in group " + group, () -> {
                String now = ha.leaderOrNull(group);
                return now != null && !now.equals(old);
            });
            awaitWrites(writers.values(), killed);
            long to = System.nanoTime();
            workerResumes.add((double) writers.get(group).resumedAfterMillis(killed, to));
            othersWorst = Math.min(othersWorst, writers.get(3 - group).successRatio(killed, to));
            ha.restart(old);
            awaitStreaming(ha, group, old);
        }
        Percentiles workers = Percentiles.of(workerResumes);
        report.target("worker primary killed: writes to its shards resumed, p95 of " + runs,
                String.format(Locale.ROOT, "%.1f s (all: %s)", workers.at(95) / 1000, seconds(workerResumes)),
                "<= 25 s", workers.at(95) <= 25_000);
        report.target("writes to the other group's shards meanwhile, worst run", String.format(Locale.ROOT,
                "%.1f %% succeeded", 100 * othersWorst), ">= 99 %", othersWorst >= 0.99);

        List<Double> coordinatorResumes = new ArrayList<>();
        for (int run = 0; run < runs; run++) {
            String old = leader(ha, 0);
            long killed = ha.killAndKeepDown(old);
            Await.until(Duration.ofSeconds(120), "a new coordinator primary", () -> {
                String now = ha.leaderOrNull(0);
                return now != null && !now.equals(old);
            });
            awaitWrites(writers.values(), killed);
            long to = System.nanoTime();
            coordinatorResumes.add((double) writers.values().stream()
                    .mapToLong(w -> w.resumedAfterMillis(killed, to)).max().orElseThrow());
            ha.restart(old);
            awaitStreaming(ha, 0, old);
        }
        Percentiles coordinators = Percentiles.of(coordinatorResumes);
        report.target("coordinator primary killed: writes accepted again through the endpoint, p95 of " + runs,
                String.format(Locale.ROOT, "%.1f s (all: %s)", coordinators.at(95) / 1000, seconds(coordinatorResumes)),
                "<= 25 s", coordinators.at(95) <= 25_000);

        long lost = 0;
        long acknowledged = 0;
        for (PacedWriter writer : writers.values()) {
            writer.stop();
        }
        Set<Long> stored = new HashSet<>();
        try (Connection c = ha.connect(ha.endpointPort()); Statement s = c.createStatement();
                var rs = s.executeQuery("select id from ha_writes")) {
            while (rs.next()) {
                stored.add(rs.getLong(1));
            }
        }
        for (PacedWriter writer : writers.values()) {
            acknowledged += writer.acknowledged().size();
            lost += writer.acknowledged().stream().filter(id -> !stored.contains(id)).count();
        }
        report.target("acknowledged rows lost (of " + acknowledged + ")", Long.toString(lost), "0", lost == 0);
    }

    private static String leader(HaCompose ha, int group) {
        String leader = ha.leaderOrNull(group);
        if (leader == null) {
            throw new IllegalStateException("group " + group + " has no leader: " + ha.groups());
        }
        return leader;
    }

    private static void awaitStreaming(HaCompose ha, int group, String member) {
        Await.until(Duration.ofMinutes(4), member + " a quorum standby again", () -> {
            Member m = ha.memberOrNull(group, member);
            return m != null && m.protects();
        });
    }

    private static void awaitWrites(java.util.Collection<PacedWriter> writers, long nanos) {
        Await.until(Duration.ofSeconds(120), "every writer acknowledged a write again", () -> writers.stream()
                .allMatch(w -> w.firstAcknowledgedAfter(nanos + 1_000_000_000L).isPresent()));
    }

    private static String describe(Percentiles p) {
        return String.format(Locale.ROOT, "p50 %.2f ms, p99 %.2f ms", p.median(), p.at(99));
    }

    private static String seconds(List<Double> millis) {
        return millis.stream().map(m -> String.format(Locale.ROOT, "%.1f", m / 1000)).toList().toString();
    }

    private static void must(ComposeProject.Result result, String what) {
        if (!result.ok()) {
            throw new IllegalStateException(what + " failed:\n" + result.out());
        }
    }
}
