package org.citusrailway.registrar;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.citusrailway.registrar.config.Config;
import org.citusrailway.registrar.discovery.CandidateNames;
import org.citusrailway.registrar.discovery.Discovery;
import org.citusrailway.registrar.name.Addresses;
import org.citusrailway.registrar.name.HostPort;
import org.citusrailway.registrar.name.Resolution;
import org.citusrailway.registrar.pg.PgConnector;
import org.citusrailway.registrar.probe.WorkerProbe;
import org.citusrailway.registrar.reconcile.Decision;
import org.citusrailway.registrar.reconcile.ReconcileInput;
import org.citusrailway.registrar.reconcile.Reconciler;
import org.citusrailway.registrar.report.Event;
import org.citusrailway.registrar.report.HttpEndpoints;
import org.citusrailway.registrar.result.ProbeFailure;
import org.citusrailway.registrar.result.ProbeResult;
import org.citusrailway.testkit.Await;
import org.citusrailway.testkit.LocalPostgres;
import org.citusrailway.testkit.PostgresBinaries;
import org.citusrailway.testkit.TestHosts;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/** Real PostgreSQL 17 (no Citus) from Maven Central: connections, probe failures, the lock, restarts, HTTP. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PostgresIntegrationTest {
    private static final String PASSWORD = "Pg-Integration-Secret-42";
    private static final String COORDINATOR = "coordinator.pgtest.internal";

    private LocalPostgres coordinator;
    private LocalPostgres worker;

    @BeforeAll
    void startServers() {
        PostgresBinaries binaries = PostgresBinaries.embedded();
        coordinator = LocalPostgres.builder(binaries).password(PASSWORD).start();
        worker = LocalPostgres.builder(binaries).password("a-different-password").start();
        TestHosts.map(COORDINATOR, "127.0.0.1");
        TestHosts.map("worker1.pgtest.internal", "127.0.0.1");
        TestHosts.map("worker2.pgtest.internal", "::1");
    }

    @AfterAll
    void stopServers() {
        if (worker != null) {
            worker.close();
        }
        if (coordinator != null) {
            coordinator.close();
        }
    }

    private Map<String, String> env(String... pairs) {
        Map<String, String> env = new HashMap<>(Map.of("POSTGRES_PASSWORD", PASSWORD, "COORDINATOR_HOST", COORDINATOR,
                "COORDINATOR_PORT", Integer.toString(coordinator.port()), "PORT", "0", "WORKER_INDEX_MAX", "0",
                "WORKER_HOSTS", "nothing.pgtest.internal", "SCAN_INTERVAL", "200ms", "LOG_FORMAT", "text"));
        for (int i = 0; i < pairs.length; i += 2) {
            env.put(pairs[i], pairs[i + 1]);
        }
        return env;
    }

    private WorkerProbe probe(String... pairs) {
        return new WorkerProbe(new PgConnector(Config.fromEnvironment(env(pairs))));
    }

    @Test
    void reachableServerWithoutCitusIsReportedCitusMissing() {
        HostPort target = new HostPort(COORDINATOR, coordinator.port());
        ProbeResult result = probe().probe(target);
        assertEquals(new ProbeResult.Reached(null, null), result);
        Decision decision = Reconciler.decide(new ReconcileInput(new HostPort("c", 1), List.of(), List.of(target),
                Map.of(target, result), java.util.Set.of(), "13.2-1", "id", Map.of(), java.util.Set.of(), null,
                java.util.Set.of()));
        assertEquals(Map.of(target, ProbeFailure.CITUS_MISSING), decision.rejected());
    }

    @Test
    void wrongPasswordIsAuthFailedAndTheMessageHasNoPassword() {
        ProbeResult result = probe().probe(new HostPort("worker1.pgtest.internal", worker.port()));
        ProbeResult.Failed failed = assertInstanceOf(ProbeResult.Failed.class, result);
        assertEquals(ProbeFailure.AUTH_FAILED, failed.reason());
        assertFalse(failed.detail().contains(PASSWORD), failed.detail());
        assertTrue(failed.detail().contains("password authentication failed"), failed.detail());
    }

    @Test
    void missingDatabase() {
        ProbeResult result = probe("POSTGRES_DB", "no_such_db").probe(new HostPort(COORDINATOR, coordinator.port()));
        assertEquals(ProbeFailure.DATABASE_MISSING, assertInstanceOf(ProbeResult.Failed.class, result).reason());
    }

    @Test
    void nothingListeningIsUnreachableQuickly() {
        long start = System.nanoTime();
        ProbeResult result = probe().probe(new HostPort("worker1.pgtest.internal", freePort()));
        assertEquals(ProbeFailure.UNREACHABLE, assertInstanceOf(ProbeResult.Failed.class, result).reason());
        assertTrue(Duration.ofNanos(System.nanoTime() - start).toMillis() < 3000);
    }

    @Test
    void discoveryAnswersFromTheJdkHostsFileWithAAndAaaa() throws Exception {
        Discovery discovery = new Discovery(Duration.ofSeconds(1), "pgtest.internal");
        Map<String, Resolution> found = discovery.resolve(List.of("worker1.pgtest.internal", "worker2.pgtest.internal",
                "worker9.pgtest.internal"));
        assertEquals(List.of("127.0.0.1"), Addresses.list(found.get("worker1.pgtest.internal").addresses()));
        assertEquals(List.of("0:0:0:0:0:0:0:1"), Addresses.list(found.get("worker2.pgtest.internal").addresses()));
        assertEquals(Resolution.NOT_FOUND, found.get("worker9.pgtest.internal").problem());

        TestHosts.map("worker9.pgtest.internal", "127.0.0.1");
        assertTrue(discovery.resolve(List.of("worker9.pgtest.internal")).get("worker9.pgtest.internal").resolved(),
                "a name that appears is seen on the next pass: the JVM cache does not hold the negative answer");
        TestHosts.unmap("worker9.pgtest.internal");
        assertFalse(discovery.resolve(List.of("worker9.pgtest.internal")).get("worker9.pgtest.internal").resolved());

        List<String> eighty = new ArrayList<>();
        Config defaults = Config.fromEnvironment(Map.of("POSTGRES_PASSWORD", "x", "PRIVATE_DOMAIN", "pgtest.internal"));
        CandidateNames.of(defaults).forEach(c -> eighty.add(c.host()));
        discovery.resolve(eighty);
        long start = System.nanoTime();
        Map<String, Resolution> pass = discovery.resolve(eighty);
        long millis = Duration.ofNanos(System.nanoTime() - start).toMillis();
        assertEquals(80, pass.size());
        assertTrue(pass.get("worker1.pgtest.internal").resolved());
        assertTrue(millis < 500, "80 lookups took " + millis + "ms");
    }

    @Test
    void leaderCreatesTheRetiredTableAndWaitsForCitusOnTheCoordinator() throws Exception {
        coordinator.execute("postgres", "drop schema if exists citus_registrar cascade");
        try (LogCapture logs = new LogCapture(); RunningRegistrar r = new RunningRegistrar(env())) {
            Await.until(Duration.ofSeconds(10), "leader", () -> "leader".equals(r.role()));
            Await.until(Duration.ofSeconds(10), "not-ready reported",
                    () -> logs.count(Event.COORDINATOR_NOT_READY) == 1);
            assertEquals(1, logs.count(Event.RETIRED_TABLE_CREATED));
            assertTrue(coordinator.sql().value("select count(*) from citus_registrar.retired_workers") != null,
                    "the table is there");
            assertTrue(r.status().coordinatorError().contains("citus"), r.status().toString());
            Thread.sleep(600);
            assertEquals(1, logs.count(Event.COORDINATOR_NOT_READY), "reported once, not every pass");
            assertFalse(logs.text().contains(PASSWORD));
        }
    }

    @Test
    void theLoopLeadsOnTheSessionOpenedAhead() throws Exception {
        Config config = Config.fromEnvironment(env());
        Registrar registrar = Registrar.connectingAhead(config);
        Await.until(Duration.ofSeconds(10), "session opened ahead", () -> registrarSessions() == 1);
        try (RunningRegistrar r = new RunningRegistrar(config, registrar)) {
            Await.until(Duration.ofSeconds(10), "leader", () -> "leader".equals(r.role()));
            assertEquals(1, registrarSessions(), "the loop opened no second session");
        }
        Await.until(Duration.ofSeconds(5), "session closed on stop", () -> registrarSessions() == 0);
    }

    @Test
    void aFailedHeadStartIsAnOrdinaryConnectionFailureAndIsRetried() throws Exception {
        Config config = Config.fromEnvironment(env("POSTGRES_PASSWORD", "Not-The-Password-77"));
        try (LogCapture logs = new LogCapture();
                RunningRegistrar r = new RunningRegistrar(config, Registrar.connectingAhead(config))) {
            Await.until(Duration.ofSeconds(10), "two failed attempts",
                    () -> logs.count(Event.COORDINATOR_UNREACHABLE) >= 2);
            assertTrue(r.alive());
            assertEquals("disconnected", r.role());
            assertTrue(logs.text().contains("password authentication failed"), logs.text());
            assertFalse(logs.text().contains("Not-The-Password-77"));
        }
    }

    @Test
    void stoppingBeforeTheLoopTookTheSessionClosesIt() throws Exception {
        Config config = Config.fromEnvironment(env());
        Registrar registrar = Registrar.connectingAhead(config);
        registrar.stop();
        Thread.sleep(1000);
        assertEquals(0, registrarSessions());
    }

    private int registrarSessions() {
        return (int) coordinator.sql().number("select count(*) from pg_stat_activity where application_name ="
                + " 'citus-registrar'");
    }

    @Test
    void oneLeaderOneStandbyAndTakeover() throws Exception {
        try (RunningRegistrar first = new RunningRegistrar(env())) {
            Await.until(Duration.ofSeconds(10), "first leads", () -> "leader".equals(first.role()));
            try (RunningRegistrar second = new RunningRegistrar(env())) {
                Await.until(Duration.ofSeconds(10), "second stands by", () -> "standby".equals(second.role()));
                Thread.sleep(500);
                assertEquals("leader", first.role());
                assertEquals("standby", second.role());
                assertTrue(second.registrar.statusJson().contains("\"role\":\"standby\""));
                assertTrue(second.registrar.metricsText().contains("citus_registrar_leader 0\n"));
                assertTrue(first.registrar.metricsText().contains("citus_registrar_leader 1\n"));

                Duration stopped = first.stop();
                assertTrue(stopped.toMillis() < 5000, "stop took " + stopped);
                Await.until(Duration.ofSeconds(5), "second takes over", () -> "leader".equals(second.role()));
            }
        }
    }

    @Test
    void coordinatorRestartMidPassIsSurvived() throws Exception {
        try (LogCapture logs = new LogCapture(); RunningRegistrar r = new RunningRegistrar(env())) {
            Await.until(Duration.ofSeconds(10), "leader", () -> "leader".equals(r.role()));
            coordinator.kill();
            Await.until(Duration.ofSeconds(10), "session loss noticed", () -> !r.status().coordinatorReachable());
            assertTrue(logs.count(Event.COORDINATOR_UNREACHABLE) >= 1);
            assertTrue(logs.count(Event.LEADERSHIP_LOST) >= 1);
            Thread.sleep(1500);
            assertTrue(r.alive(), "transient faults never end the loop");
            coordinator.start();
            Await.until(Duration.ofSeconds(15), "leader again", () -> "leader".equals(r.role())
                    && r.status().coordinatorReachable());
            assertFalse(logs.text().contains(PASSWORD));
        } finally {
            coordinator.start();
        }
    }

    @Test
    void httpEndpoints() throws Exception {
        Registrar registrar = new Registrar(Config.fromEnvironment(env()));
        try (HttpEndpoints http = HttpEndpoints.start(0, registrar::running, registrar::statusJson,
                    registrar::metricsText)) {
            HttpClient client = HttpClient.newHttpClient();
            assertEquals(503, get(client, http, "/health").statusCode(), "not healthy before the loop runs");
            Thread loop = Thread.ofPlatform().start(registrar::run);
            try {
                Await.until(Duration.ofSeconds(10), "healthy", () -> get(client, http, "/health").statusCode() == 200);
                Await.until(Duration.ofSeconds(10), "leader", () -> "leader".equals(registrar.role()));
                HttpResponse<String> status = get(client, http, "/status");
                assertEquals("application/json", status.headers().firstValue("Content-Type").orElse(""));
                assertTrue(status.body().startsWith("{\"role\":\"leader\""), status.body());
                HttpResponse<String> metrics = get(client, http, "/metrics");
                assertTrue(metrics.body().contains("citus_registrar_leader 1"), metrics.body());
                assertFalse(status.body().contains(PASSWORD) || metrics.body().contains(PASSWORD));
                assertEquals(404, get(client, http, "/status/x").statusCode());
                // The wildcard bind answers on IPv6 loopback too.
                HttpResponse<String> v6 = client.send(HttpRequest.newBuilder(
                        URI.create("http://[::1]:" + http.port() + "/health")).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertEquals(200, v6.statusCode());
            } finally {
                registrar.stop();
                loop.join(5000);
            }
        }
    }

    private static HttpResponse<String> get(HttpClient client, HttpEndpoints http, String path) {
        try {
            return client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + http.port() + path)).build(),
                    HttpResponse.BodyHandlers.ofString());
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    static int freePort() {
        return org.citusrailway.testkit.FreePorts.next();
    }
}
