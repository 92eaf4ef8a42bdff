package org.citusrailway.template.ha;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import org.citusrailway.template.ProjectFiles;
import org.citusrailway.testkit.Await;
import org.citusrailway.testkit.ComposeProject.Result;
import org.citusrailway.testkit.DockerEngine;
import org.citusrailway.testkit.Sql;
import org.citusrailway.testkit.ha.HaCompose;
import org.citusrailway.testkit.ha.HaCompose.Member;
import org.citusrailway.testkit.ha.PacedWriter;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer.OrderAnnotation;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The high-availability variant (docker-compose.ha.yml) in a real Docker engine, built from this repository's
 * Dockerfiles: one writer per worker group inserts a row every 10 ms through the stable endpoint while groups are
 * switched over by Patroni and their primaries are SIGKILLed; every acknowledged row must be there exactly once, each
 * group must have one primary, and pg_dist_node must name it on the coordinator and on every worker. The figures
 * (longest write wait, time to resume) are printed, and gathered in docs/benchmark.md. Skips within seconds where
 * there is no engine or no base image.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(OrderAnnotation.class)
class ComposeHaTest {
    private static final Path ROOT = ProjectFiles.root();
    private static final String PROJECT = "citus-ha-test";
    private static final String PASSWORD = "haTestPassword1";
    private static final List<String> MEMBERS = HaCompose.MEMBERS;
    private static final HaCompose HA = new HaCompose(PROJECT, Path.of(System.getProperty("java.io.tmpdir"),
            "compose-ha-test.env"), ROOT, PASSWORD, 15432);

    private Path envFile;
    private boolean started;
    private final List<PacedWriter> writers = new ArrayList<>();
    private final Map<Integer, PacedWriter> writerOfGroup = new TreeMap<>();

    @BeforeAll
    void startTheCluster() throws Exception {
        Optional<String> unusable = DockerEngine.unusableBecause(List.of("citusdata/citus:13.2.0"));
        assumeTrue(unusable.isEmpty(), () -> unusable.orElseThrow() + ", so the HA images cannot be built and run here");
        envFile = Path.of(System.getProperty("java.io.tmpdir"), "compose-ha-test.env");
        Files.writeString(envFile, "POSTGRES_PASSWORD=" + PASSWORD + "\nNODE_MEMORY_LIMIT=512m\n" + HA.portSettings());
        started = true;
        compose(Duration.ofMinutes(2), "down", "-v", "--remove-orphans");
        long starting = System.nanoTime();
        assertOk(compose(Duration.ofMinutes(25), "build"), "docker compose -f docker-compose.ha.yml build");
        assertOk(compose(Duration.ofMinutes(8), "up", "-d", "--wait"), "docker compose -f docker-compose.ha.yml up");
        report("HA cluster built and up in %d s", seconds(starting));
        Await.until(Duration.ofMinutes(3), "a leader and a quorum standby in every group", () -> {
            Map<Integer, List<Member>> groups = HA.groups();
            return groups.size() == 3 && groups.values().stream().allMatch(g -> g.size() == 2
                    && g.stream().filter(Member::leads).count() == 1
                    && g.stream().anyMatch(Member::protects));
        });
        SQL.execute("create table ha_writes (k int not null, id bigint not null, at timestamptz default now(),"
                + " primary key (k, id))");
        SQL.execute("select create_distributed_table('ha_writes', 'k')");
        for (int group : List.of(1, 2)) {
            int[] keys = SQL.rows("select k from generate_series(1, 2000) k, pg_dist_placement p"
                    + " where p.shardid = get_shard_id_for_distribution_column('ha_writes', k) and p.groupid = " + group,
                    r -> r.getInt(1)).stream().mapToInt(Integer::intValue).toArray();
            PacedWriter writer = new PacedWriter("group" + group, ComposeHaTest::connect, keys, group * 1_000_000_000L);
            writers.add(writer);
            writerOfGroup.put(group, writer);
            writer.start();
        }
        Thread.sleep(3000);
    }

    @AfterAll
    void stopTheCluster() throws Exception {
        for (PacedWriter writer : writers) {
            writer.stop();
        }
        if (started) {
            if (Boolean.getBoolean("ha.keep")) {
                report("kept running (-Dha.keep=true): docker compose -p %s -f docker-compose.ha.yml down -v", PROJECT);
            } else {
                compose(Duration.ofMinutes(3), "down", "-v", "--remove-orphans");
            }
            Files.deleteIfExists(envFile);
        }
    }

    @Test
    @Order(1)
    void everyGroupHasOnePrimaryAndPgDistNodeNamesIt() {
        assertPgDistNodeNamesTheLeaders();
    }

    @Test
    @Order(2)
    void aPlannedWorkerSwitchoverPausesWritesWithoutAnError() throws Exception {
        PacedWriter writer = writerOfGroup.get(1);
        long from = System.nanoTime();
        switchover(1);
        Thread.sleep(3000);
        long to = System.nanoTime();
        report("worker switchover: longest write wait %d ms, %d errors %s; other group's longest wait %d ms",
                writer.longestWaitMillis(from, to), writer.errors(from, to).size(), distinct(writer.errors(from, to)),
                writerOfGroup.get(2).longestWaitMillis(from, to));
        assertEquals(List.of(), writer.errors(from, to), "a worker switchover only pauses writes to its group");
        assertPgDistNodeNamesTheLeaders();
    }

    @Test
    @Order(3)
    void aPlannedCoordinatorSwitchoverEndsSessionsAndWritesResume() throws Exception {
        long from = System.nanoTime();
        switchover(0);
        awaitWritesAfter(from);
        long to = System.nanoTime();
        for (PacedWriter writer : writers) {
            report("coordinator switchover, %s: longest write wait %d ms, %d errors %s", writer.name(),
                    writer.longestWaitMillis(from, to), writer.errors(from, to).size(), distinct(writer.errors(from, to)));
        }
        assertPgDistNodeNamesTheLeaders();
    }

    /** Five primaries lost one after the other (worker, coordinator, the other worker, ...), each rejoining. */
    @Test
    @Order(4)
    void fiveFailoversInARowEachOldPrimaryBackAsStandby() throws Exception {
        for (int group : List.of(2, 0, 1, 2, 0)) {
            failOverByKill(group);
        }
    }

    @Test
    @Order(5)
    void thePooledUrlFollowsTheCoordinatorPrimary() {
        Await.until(Duration.ofSeconds(60), "the pooled URL reaches the new primary", () -> {
            try (Connection pooled = HA.connect(HA.poolerPort()); var statement = pooled.createStatement();
                    var answer = statement.executeQuery("select not pg_is_in_recovery() from ha_writes limit 1")) {
                return answer.next() && answer.getBoolean(1);
            } catch (SQLException e) {
                return false;
            }
        });
    }

    @Test
    @Order(6)
    void withItsStandbyGoneAGroupGoesOnTakingWritesUnprotected() throws Exception {
        int group = 1;
        String standby = HA.partner(leader(group));
        long from = System.nanoTime();
        assertOk(compose(Duration.ofSeconds(90), "stop", standby), "stop " + standby);
        Await.until(Duration.ofSeconds(60), "the primary no longer waits for " + standby, () -> "".equals(
                HA.run(Duration.ofSeconds(10), "docker", "exec", container(leader(group)), "psql", "-X", "-A", "-t",
                        "-U", "postgres", "-c", "show synchronous_standby_names").out().strip()));
        Thread.sleep(5000);
        long to = System.nanoTime();
        PacedWriter writer = writerOfGroup.get(group);
        report("standby %s stopped: longest write wait %d ms, errors %s", standby, writer.longestWaitMillis(from, to),
                distinct(writer.errors(from, to)));
        assertEquals(List.of(), writer.errors(from, to), "writes go on without the standby");
        assertTrue(writer.firstAcknowledgedAfter(to - 3_000_000_000L).isPresent(), "and are acknowledged");
        assertOk(compose(Duration.ofSeconds(90), "start", standby), "start " + standby);
        Await.until(Duration.ofMinutes(3), standby + " a quorum standby again", () -> {
            Member member = HA.memberOrNull(group, standby);
            return member != null && member.protects();
        });
    }

    @Test
    @Order(7)
    void losingOneEtcdMemberChangesNothingAndLosingTheMajorityMakesNoSecondPrimary() throws Exception {
        Map<Integer, String> leaders = HA.leaders();
        long from = System.nanoTime();
        assertOk(compose(Duration.ofSeconds(60), "stop", "etcd3"), "stop etcd3");
        Thread.sleep(15_000);
        long to = System.nanoTime();
        assertEquals(leaders, HA.leaders(), "the same primaries with one etcd member gone");
        for (PacedWriter writer : writers) {
            report("one etcd member stopped, %s: longest write wait %d ms, errors %s", writer.name(),
                    writer.longestWaitMillis(from, to), distinct(writer.errors(from, to)));
            assertEquals(List.of(), writer.errors(from, to), "writes go on with one etcd member gone");
        }
        from = System.nanoTime();
        assertOk(compose(Duration.ofSeconds(60), "stop", "etcd2"), "stop etcd2");
        for (int second = 0; second < 40; second++) {
            for (int group : List.of(0, 1, 2)) {
                assertTrue(writablePrimaries(group).size() <= 1, "never two writable primaries in group " + group);
            }
            Thread.sleep(1000);
        }
        to = System.nanoTime();
        for (PacedWriter writer : writers) {
            report("etcd majority lost (failsafe mode), %s: %.1f %% of writes succeeded, errors %s", writer.name(),
                    100 * writer.successRatio(from, to), distinct(writer.errors(from, to)));
        }
        assertOk(compose(Duration.ofSeconds(60), "start", "etcd2", "etcd3"), "start etcd2 and etcd3");
        Await.until(Duration.ofMinutes(2), "every group led again", () -> HA.leaders().size() == 3);
        awaitWritesAfter(System.nanoTime());
        assertPgDistNodeNamesTheLeaders();
    }

    @Test
    @Order(8)
    void aPrimaryCutOffFromEtcdAndItsPeersStopsTakingWritesBeforeAnotherIsPromoted() throws Exception {
        int group = 1;
        String old = leader(group);
        String other = HA.partner(old);
        String network = HA.network();
        long cut = System.nanoTime();
        assertOk(run(Duration.ofSeconds(30), "docker", "network", "disconnect", network, container(old)),
                "disconnect " + old);
        long demoted = 0;
        long promoted = 0;
        try {
            while ((demoted == 0 || promoted == 0) && System.nanoTime() - cut < 120_000_000_000L) {
                // Demoted: read-only, or stopped (Patroni stops a primary that lost etcd and its peers); either way
                // it takes no write.
                if (demoted == 0 && !"f".equals(HA.inRecovery(old))) {
                    demoted = System.nanoTime();
                }
                if (promoted == 0 && "f".equals(HA.inRecovery(other))) {
                    promoted = System.nanoTime();
                }
                Thread.sleep(200);
            }
        } finally {
            assertOk(run(Duration.ofSeconds(30), "docker", "network", "connect", "--alias", old + ".railway.internal",
                    network, container(old)), "reconnect " + old);
        }
        report("%s cut off: no longer writable after %d ms; %s promoted after %d ms", old, (demoted - cut) / 1_000_000,
                other, (promoted - cut) / 1_000_000);
        assertTrue(demoted > 0 && promoted > 0, "the cut-off primary was demoted and its standby promoted");
        assertTrue(demoted < promoted, "the cut-off primary stopped taking writes before its standby was promoted");
        Await.until(Duration.ofMinutes(4), old + " back as a quorum standby", () -> {
            Member member = HA.memberOrNull(group, old);
            return member != null && member.protects();
        });
        awaitWritesAfter(System.nanoTime());
        assertPgDistNodeNamesTheLeaders();
    }

    @Test
    @Order(9)
    void badSettingsGetOneClearLineAndTouchNothing() throws Exception {
        String image = "citus-railway/ha-node:local";
        String network = HA.network();
        Result noEtcd = run(Duration.ofSeconds(60), "docker", "run", "--rm", "-e", "POSTGRES_PASSWORD=x", "-e",
                "NODE_IDENTITY=worker1-c", image);
        assertTrue(noEtcd.code() == 2 && noEtcd.out().contains("[ha-etcd-missing]"), noEtcd.out());
        Result badName = run(Duration.ofSeconds(60), "docker", "run", "--rm", "-e", "POSTGRES_PASSWORD=x", "-e",
                "NODE_IDENTITY=worker-1", "-e", "HA_ETCD_HOSTS=etcd1.railway.internal:2379", image);
        assertTrue(badName.code() == 2 && badName.out().contains("[ha-member-name-invalid]"), badName.out());
        report("no etcd: %s", noEtcd.out().strip());
        report("malformed name: %s", badName.out().strip());

        String etcd = "etcd1.railway.internal:2379,etcd2.railway.internal:2379,etcd3.railway.internal:2379";
        String orphan = "ha-test-worker7-b";
        String twin = "ha-test-worker1-twin";
        try {
            assertOk(run(Duration.ofSeconds(60), "docker", "run", "-d", "--name", orphan, "--network", network, "-e",
                    "POSTGRES_PASSWORD=" + PASSWORD, "-e", "NODE_IDENTITY=worker7-b", "-e", "HA_ETCD_HOSTS=" + etcd,
                    image), "start worker7-b");
            String standbyOf = leader(1).equals("worker1-a") ? "worker1-b" : "worker1-a";
            assertOk(run(Duration.ofSeconds(60), "docker", "run", "-d", "--name", twin, "--network", network, "-e",
                    "POSTGRES_PASSWORD=" + PASSWORD, "-e", "NODE_IDENTITY=" + standbyOf, "-e", "HA_ETCD_HOSTS=" + etcd,
                    image), "start a second " + standbyOf);
            Await.until(Duration.ofSeconds(90), "worker7-b says its group does not exist",
                    () -> logs(orphan).contains("[ha-group-not-found]"));
            Await.until(Duration.ofSeconds(90), "the second " + standbyOf + " is refused",
                    () -> logs(twin).contains("already a node named"));
            report("standby of a group that does not exist: %s", logs(orphan).lines()
                    .filter(l -> l.contains("[ha-group-not-found]")).findFirst().orElseThrow());
            report("a second member named %s: %s", standbyOf, logs(twin).lines()
                    .filter(l -> l.contains("already a node named")).findFirst().orElseThrow());
            assertEquals(1, run(Duration.ofSeconds(20), "docker", "exec", orphan, "test", "-e",
                    "/var/lib/postgresql/data/pgdata/PG_VERSION").code(), "worker7-b created no data of its own");
            assertEquals(3, HA.groups().size(), "no group 7 was started");
            assertEquals("streaming", HA.memberOrNull(1, standbyOf).state(), "the real " + standbyOf + " is untouched");
        } finally {
            run(Duration.ofSeconds(60), "docker", "rm", "-f", "-v", orphan, twin);
        }
    }

    /**
     * The registrar beside Patroni: it shows every group with its primary and streaming standby, and when a third worker
     * group is started (as duplicating worker2-a and worker2-b does) and Patroni registers it, the registrar moves
     * shards onto it while the writers go on; it never writes pg_dist_node itself.
     */
    @Test
    @Order(10)
    void theRegistrarShowsTheGroupsAndRebalancesOntoANewWorkerGroup() throws Exception {
        Await.until(Duration.ofSeconds(60), "the registrar shows three groups, each with its primary and a standby", () -> {
            String status = http("/status");
            return HA.leaders().entrySet().stream().allMatch(e -> status.contains("{\"groupid\":" + e.getKey()
                    + ",\"primary\":\"" + e.getValue() + ".railway.internal\",\"streamingStandbys\":1,"));
        });
        String metrics = http("/metrics");
        assertTrue(metrics.contains("citus_registrar_group_streaming_standbys{group=\"1\"} 1\n"), metrics);
        assertTrue(metrics.contains("citus_registrar_group_timeline{group=\"1\"} "), metrics);
        Files.writeString(envFile, "COMPOSE_PROFILES=worker3\n", java.nio.file.StandardOpenOption.APPEND);
        long starting = System.nanoTime();
        assertOk(compose(Duration.ofMinutes(5), "up", "-d", "--wait"), "docker compose up with worker3's pair");
        Await.until(Duration.ofMinutes(5), "ha_writes rebalanced onto group 3", () -> SQL.number(
                "select count(*) from pg_dist_placement where groupid = 3") > 0 && SQL.number(
                "select count(*) from pg_dist_background_job where state not in ('finished', 'cancelled', 'failed')")
                == 0);
        report("worker3's pair up, registered by Patroni and rebalanced onto by the registrar in %d s: %d of %d"
                + " placements on group 3", seconds(starting), SQL.number("select count(*) from pg_dist_placement"
                + " where groupid = 3"), SQL.number("select count(*) from pg_dist_placement"));
        String registrarLog = compose(Duration.ofSeconds(30), "logs", "--no-color", "registrar").out();
        assertTrue(registrarLog.contains("rebalance-started"), registrarLog);
        for (String write : List.of("worker-added", "worker-activated", "worker-lost", "coordinator-host-set")) {
            assertTrue(!registrarLog.contains(write), "the registrar beside Patroni does not " + write + ":\n"
                    + registrarLog);
        }
        Await.until(Duration.ofMinutes(3), "worker3-b streams from worker3-a", () -> {
            Member member = HA.memberOrNull(3, "worker3-b");
            return member != null && member.protects();
        });
    }

    private String http(String path) {
        try {
            java.net.http.HttpResponse<String> response = java.net.http.HttpClient.newHttpClient().send(
                    java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:" + HA.registrarPort()
                            + path)).timeout(Duration.ofSeconds(5)).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString());
            return response.body();
        } catch (java.io.IOException e) {
            return "";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "";
        }
    }

    @Test
    @Order(11)
    void everyAcknowledgedRowIsThereExactlyOnce() throws Exception {
        for (PacedWriter writer : writers) {
            writer.stop();
        }
        Set<Long> stored = new HashSet<>(SQL.rows("select id from ha_writes", r -> r.getLong(1)));
        long duplicates = SQL.number("select count(*) - count(distinct id) from ha_writes");
        for (PacedWriter writer : writers) {
            Set<Long> lost = new HashSet<>(writer.acknowledged());
            lost.removeAll(stored);
            report("%s: %d rows acknowledged, %d of them missing", writer.name(), writer.acknowledged().size(),
                    lost.size());
            assertEquals(Set.of(), lost, writer.name() + ": every acknowledged row is there");
        }
        assertEquals(0, duplicates, "no row twice");
        writers.clear();
    }

    /** SIGKILL of the group's primary, which stays down until its standby has taken over (a lost machine). */
    private void failOverByKill(int group) throws Exception {
        String old = leader(group);
        long killed = HA.killAndKeepDown(old);
        Await.until(Duration.ofSeconds(90), "a new primary in group " + group, () -> {
            assertTrue(writablePrimaries(group).size() <= 1, "never two writable primaries in group " + group);
            String now = HA.leaderOrNull(group);
            return now != null && !now.equals(old);
        });
        awaitWritesAfter(killed);
        long to = System.nanoTime();
        for (PacedWriter writer : writers) {
            report("kill -9 of %s (group %d), %s: writes resumed %d ms after the kill, longest wait %d ms,"
                    + " %.1f %% of writes succeeded, errors %s", old, group, writer.name(),
                    writer.resumedAfterMillis(killed, to), writer.longestWaitMillis(killed, to),
                    100 * writer.successRatio(killed, to), distinct(writer.errors(killed, to)));
        }
        assertPgDistNodeNamesTheLeaders();
        HA.restart(old);
        Await.until(Duration.ofMinutes(4), old + " back as a quorum standby", () -> {
            Member member = HA.memberOrNull(group, old);
            return member != null && member.protects();
        });
        report("%s back as a quorum standby %d s after the kill", old, seconds(killed));
        assertPgDistNodeNamesTheLeaders();
    }

    private void awaitWritesAfter(long nanos) {
        Await.until(Duration.ofSeconds(90), "every writer acknowledged a write again", () -> writers.stream()
                .allMatch(w -> w.firstAcknowledgedAfter(nanos + 1_000_000_000L).isPresent()));
    }

    private void switchover(int group) {
        String from = leader(group);
        String to = HA.partner(from);
        long start = System.nanoTime();
        assertOk(HA.patronictl("switchover", "--group", Integer.toString(group), "--leader", from, "--candidate", to,
                "--force"), "patronictl switchover of group " + group);
        Await.until(Duration.ofSeconds(60), to + " leads group " + group, () -> to.equals(HA.leaderOrNull(group)));
        report("switchover of group %d from %s to %s: %d ms", group, from, to, (System.nanoTime() - start) / 1_000_000);
    }

    /** pg_dist_node's primary of each group is the group's Patroni leader, on the coordinator and on each worker. */
    private void assertPgDistNodeNamesTheLeaders() {
        Await.until(Duration.ofSeconds(60), "pg_dist_node names each group's leader", () -> {
            Map<Integer, String> expected = new TreeMap<>();
            for (int group : List.of(0, 1, 2)) {
                expected.put(group, leader(group) + ".railway.internal");
            }
            String want = expected.toString();
            String onCoordinator = primaries("select groupid, nodename from pg_dist_node where noderole = 'primary'"
                    + " order by groupid");
            if (!want.equals(onCoordinator)) {
                report("pg_dist_node on the coordinator: %s, leaders %s", onCoordinator, want);
                return false;
            }
            List<String> onWorkers = SQL.rows("select result from run_command_on_workers($$select string_agg("
                    + "groupid || '=' || nodename, ', ' order by groupid) from pg_dist_node where noderole = 'primary'$$)",
                    r -> "{" + r.getString(1) + "}");
            return onWorkers.size() == 2 && onWorkers.stream().allMatch(want::equals);
        });
    }

    /** The members of a group whose PostgreSQL answers and is not in recovery, asked over its local socket. */
    private List<String> writablePrimaries(int group) {
        String prefix = group == 0 ? "coordinator-" : "worker" + group + "-";
        return MEMBERS.stream().filter(m -> m.startsWith(prefix)).filter(m -> "f".equals(HA.inRecovery(m))).toList();
    }

    private static String logs(String container) {
        return run(Duration.ofSeconds(20), "docker", "logs", container).out();
    }

    private static String primaries(String sql) {
        Map<Integer, String> rows = new TreeMap<>();
        SQL.rows(sql, r -> rows.put(r.getInt(1), r.getString(2)));
        return rows.toString();
    }

    private static List<String> distinct(List<String> errors) {
        return errors.stream().distinct().limit(5).toList();
    }

    private static Connection connect() throws SQLException {
        return HA.connect(HA.endpointPort());
    }

    private static final Sql SQL = Sql.on(ComposeHaTest::connect);

    private static Result compose(Duration timeout, String... arguments) {
        return HA.compose(timeout, arguments);
    }

    private static Result run(Duration timeout, String... command) {
        return HA.run(timeout, command);
    }

    private static String leader(int group) {
        String leader = HA.leaderOrNull(group);
        assertTrue(leader != null, "group " + group + " has a leader: " + HA.groups());
        return leader;
    }

    private static String container(String member) {
        return HA.container(member);
    }

    private static void assertOk(Result result, String what) {
        assertEquals(0, result.code(), what + " failed:\n" + result.out());
    }

    private static long seconds(long since) {
        return (System.nanoTime() - since) / 1_000_000_000L;
    }

    private static void report(String format, Object... arguments) {
        System.out.println("ha: " + String.format(format, arguments));
    }
}
