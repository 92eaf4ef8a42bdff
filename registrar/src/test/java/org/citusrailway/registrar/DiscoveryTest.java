package org.citusrailway.registrar;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.citusrailway.registrar.config.Config;
import org.citusrailway.registrar.discovery.Discovery;
import org.citusrailway.registrar.discovery.DnsSetup;
import org.citusrailway.registrar.name.Resolution;
import org.citusrailway.testkit.FreePorts;
import org.citusrailway.testkit.TestDnsServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xbill.DNS.Name;

/**
 * Discovery (dnsjava) against a real DNS server on loopback that answers from a table, says NXDOMAIN for every other
 * name, and drops or delays queries on purpose. Bounds asserted here are the code's deadline semantics (a pass never
 * outlives DNS_TIMEOUT by more than scheduling noise), not speed targets: those are in the benchmark.
 */
class DiscoveryTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(1);
    /** Thread start-up and scheduling on a busy test machine, on top of the deadline. */
    private static final long SLACK_MILLIS = 700;

    @TempDir
    Path dir;
    private TestDnsServer server;
    private Path hosts;

    @BeforeEach
    void startServer() throws Exception {
        server = TestDnsServer.start(new InetSocketAddress(InetAddress.getLoopbackAddress(), FreePorts.next()));
        hosts = Files.writeString(dir.resolve("hosts"), "127.0.0.1 localhost\n");
    }

    @AfterEach
    void stopServer() {
        server.close();
    }

    private Discovery discovery() {
        return new Discovery(TIMEOUT, "railway.internal", DnsSetup.server(server.address(), hosts));
    }

    private static List<String> defaultNames() {
        List<String> names = new ArrayList<>();
        for (String pattern : Config.DEFAULT_PATTERNS.split(",")) {
            for (int n = 1; n <= 20; n++) {
                names.add(pattern.replace("{n}", Integer.toString(n)) + ".railway.internal");
            }
        }
        return names;
    }

    @Test
    void answersAAndAaaaFromTheServerAndNotFoundForOtherNames() throws Exception {
        InetAddress v4 = InetAddress.getByName("10.1.2.3");
        InetAddress v6 = InetAddress.getByName("fd12:3456::7");
        server.put("worker1.railway.internal", v6); // IPv6-only, as Railway's older environments
        server.put("worker2.railway.internal", v4, v6);
        server.put("worker3.railway.internal"); // the name exists, with no address (NODATA for A and AAAA)

        Map<String, Resolution> results = discovery().resolve(defaultNames());

        assertEquals(80, results.size());
        assertEquals(List.of(v6), results.get("worker1.railway.internal").addresses());
        assertNull(results.get("worker1.railway.internal").problem());
        assertEquals(List.of(v4, v6), results.get("worker2.railway.internal").addresses());
        assertEquals(Resolution.NOT_FOUND, results.get("worker3.railway.internal").problem());
        assertEquals(Resolution.NOT_FOUND, results.get("citus-worker-20.railway.internal").problem());
        assertFalse(results.get("worker4.railway.internal").resolved());
        // 160 queries over one socket (a socket per query costs six times the CPU: DnsExchange)
        assertEquals(1, server.clientSockets(), "client sockets used by one pass");
    }

    @Test
    void aLossyResolverNeitherHidesAFoundWorkerNorHoldsThePassPastTheTimeout() throws Exception {
        InetAddress v6 = InetAddress.getByName("fd12:3456::1");
        server.put("worker1.railway.internal", v6);
        server.put("worker2.railway.internal", InetAddress.getByName("fd12:3456::2"));
        Discovery discovery = discovery();
        assertTrue(discovery.resolve(List.of("worker1.railway.internal")).get("worker1.railway.internal").fresh());

        server.misbehave(0.20, 0.10, Duration.ofSeconds(2));
        long unanswered = 0;
        for (int pass = 0; pass < 5; pass++) {
            long start = System.nanoTime();
            Map<String, Resolution> results = discovery.resolve(defaultNames());
            long millis = (System.nanoTime() - start) / 1_000_000;
            assertTrue(millis <= TIMEOUT.toMillis() + SLACK_MILLIS, "pass " + pass + " took " + millis + " ms");
            Resolution worker1 = results.get("worker1.railway.internal");
            assertEquals(List.of(v6), worker1.addresses(), "found before, so never without addresses: " + worker1);
            unanswered += results.values().stream().filter(Resolution::unanswered).count();
        }
        assertTrue(server.dropped() > 0 && server.delayed() > 0, "the server did misbehave");
        // 30 % of queries lost per try, four tries: about 1 in 120 lookups ends unanswered; 400 lookups were made.
        assertTrue(unanswered < 40, unanswered + " of 400 lookups unanswered: lost queries were not retried");
    }

    @Test
    void aServerThatNeverAnswersCostsOneTimeoutAndLeavesTheLastAddresses() throws Exception {
        InetAddress v6 = InetAddress.getByName("fd12:3456::1");
        server.put("worker1.railway.internal", v6);
        Discovery discovery = discovery();
        discovery.resolve(List.of("worker1.railway.internal"));

        server.misbehave(1.0, 0, Duration.ZERO);
        long start = System.nanoTime();
        Map<String, Resolution> results = discovery.resolve(defaultNames());
        long millis = (System.nanoTime() - start) / 1_000_000;

        assertTrue(millis >= TIMEOUT.toMillis() - 50 && millis <= TIMEOUT.toMillis() + SLACK_MILLIS,
                "a pass against a silent server took " + millis + " ms for a " + TIMEOUT.toMillis() + " ms timeout");
        Resolution worker1 = results.get("worker1.railway.internal");
        assertEquals(Resolution.TIMEOUT, worker1.problem());
        assertEquals(List.of(v6), worker1.addresses(), "stale addresses kept");
        assertEquals(Resolution.TIMEOUT, results.get("worker2.railway.internal").problem());
        assertFalse(results.get("worker2.railway.internal").resolved());
        assertEquals(80L * 2 * Discovery.ATTEMPTS + 2, server.queries(), "every query tried " + Discovery.ATTEMPTS
                + " times, no more");
    }

    @Test
    void nothingListeningIsAFailureNotAnAnswer() throws Exception {
        Discovery discovery = discovery();
        server.close();
        Map<String, Resolution> results = discovery.resolve(List.of("worker1.railway.internal"));
        assertTrue(results.get("worker1.railway.internal").unanswered(), results.toString());
        assertFalse(results.get("worker1.railway.internal").resolved());
    }

    @Test
    void theSearchListAndTheHostsFileApplyAsForLibc() throws Exception {
        InetAddress v6 = InetAddress.getByName("fd12:3456::9");
        server.put("worker1.railway.internal", v6);
        Files.writeString(hosts, "127.0.0.1 localhost\n10.9.9.9 listed.railway.internal\n");
        Discovery discovery = new Discovery(TIMEOUT, "railway.internal", new DnsSetup(List.of(server.address()),
                List.of(Name.fromString("railway.internal.")), 1, hosts, false));

        Map<String, Resolution> results = discovery.resolve(List.of("worker1", "listed.railway.internal",
                "127.0.0.1", "localhost"));

        assertEquals(List.of(v6), results.get("worker1").addresses(), "short name completed from the search list");
        assertEquals(List.of(InetAddress.getByName("10.9.9.9")), results.get("listed.railway.internal").addresses());
        assertEquals(List.of(InetAddress.getByName("127.0.0.1")), results.get("127.0.0.1").addresses());
        assertEquals(List.of(InetAddress.getByName("127.0.0.1")), results.get("localhost").addresses());

        long before = server.queries();
        discovery.resolve(List.of("worker5.railway.internal"));
        Thread.sleep(300); // the AAAA query may still be on its way: the A query's NXDOMAIN already settled both
        long sent = server.queries() - before;
        assertTrue(sent >= 1 && sent <= 2, sent + " queries: a name under PRIVATE_DOMAIN is complete, no search");
    }

    @Test
    void aHostsFileRewrittenBetweenPassesAnswersTheNextPass() throws Exception {
        Discovery discovery = discovery();
        String name = "listed.railway.internal";
        assertFalse(discovery.resolve(List.of(name, "localhost")).get(name).resolved(), "not listed, not in DNS");

        Files.writeString(hosts, "127.0.0.1 localhost\n10.9.9.9 " + name + "\n");
        assertEquals(List.of(InetAddress.getByName("10.9.9.9")), discovery.resolve(List.of(name)).get(name)
                .addresses(), "listed now: answered from the file the next pass");

        Files.writeString(hosts, "127.0.0.1 localhost\n10.9.9.10 " + name + "\n");
        assertEquals(List.of(InetAddress.getByName("10.9.9.10")), discovery.resolve(List.of(name)).get(name)
                .addresses(), "its address changed");

        Files.writeString(hosts, "127.0.0.1 localhost\n");
        Resolution gone = discovery.resolve(List.of(name, "localhost")).get(name);
        assertEquals(Resolution.NOT_FOUND, gone.problem(), "no longer listed: DNS decides again, " + gone);
    }
}
