package org.citusrailway.template.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.citusrailway.testkit.ResolverSandbox;
import org.citusrailway.testkit.TestDnsServer;
import org.citusrailway.testkit.node.NodeUnderTest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The node images' local DNS cache (node/lib/resolver.sh) for real: unbound started by the script in front of a test
 * DNS server, and glibc (getent, as libpq resolves) in a mount namespace whose resolv.conf the script rewrote.
 */
class NodeDnsCacheTest {
    private static final Path NODE_LIB = NodeUnderTest.NODE_DIR.resolve("lib");
    private static final String WORKER = "worker1.railway.internal";

    @TempDir
    Path dir;
    private ResolverSandbox sandbox;
    private TestDnsServer dns;
    private UnaryOperator<List<String>> throughCache;
    private InetAddress workerAddress;

    @BeforeEach
    void startCache() throws IOException {
        assumeTrue(ResolverSandbox.unavailableReason().isEmpty(), ResolverSandbox.unavailableReason().orElse(""));
        assumeTrue(Files.isExecutable(Path.of("/usr/sbin/unbound")), "no /usr/sbin/unbound (apt-get install unbound)");
        sandbox = ResolverSandbox.create(dir, "railway.internal", null);
        dns = TestDnsServer.start(new InetSocketAddress(sandbox.nameserver(), 53));
        workerAddress = InetAddress.getByName("fd00:c175::11");
        dns.put(WORKER, workerAddress);
        throughCache = sandbox.nodeDnsCache(NODE_LIB);
    }

    @AfterEach
    void stopCache() {
        if (dns != null) {
            dns.close();
        }
        if (sandbox != null) {
            sandbox.close();
        }
    }

    @Test
    void resolvConfNamesTheCacheFirstAndKeepsThePlatformsLines() throws IOException {
        List<String> lines = Files.readAllLines(dir.resolve("node-dns-cache/resolv.conf"));
        assertEquals(List.of("# citus-node: local DNS cache, then the platform resolvers below", "nameserver 127.0.0.1",
                "nameserver " + sandbox.nameserver().getHostAddress(), "search railway.internal"), lines);
        assertTrue(Files.readString(dir.resolve("node-dns-cache/start.log"))
                .contains("local DNS cache on 127.0.0.1, forwarding to " + sandbox.nameserver().getHostAddress()));
    }

    @Test
    void lookupsThroughTheCacheSurviveALossyResolver() throws Exception {
        dns.misbehave(0.3, 0.1, Duration.ofSeconds(2));
        long queriesBefore = dns.queries();
        int failed = 0;
        for (int i = 0; i < 40; i++) {
            if (!lookup(throughCache).equals(List.of(workerAddress.getHostAddress()))) {
                failed++;
            }
        }
        assertEquals(0, failed, "lookups that found no address, of 40 with 30 % of queries dropped");
        assertTrue(dns.queries() > queriesBefore, "the cache asked the platform's resolver");
    }

    @Test
    void aNameSeenBeforeStillResolvesWhileThePlatformsResolverIsDown() throws Exception {
        assertEquals(List.of(workerAddress.getHostAddress()), lookup(throughCache));
        dns.misbehave(1.0, 0, Duration.ZERO); // every query lost from now on
        Thread.sleep(1_100); // past the answer's TTL (0 s)
        assertEquals(List.of(workerAddress.getHostAddress()), lookup(throughCache), "the last answer, served stale");
        // the absolute name, so glibc does not try the search list too: 2 tries of 5 s instead of 4
        assertEquals(List.of(), lookup(sandbox::wrap, WORKER + "."), "without the cache the same lookup fails");
    }

    @Test
    void withoutTheCacheProcessLookupsGoToThePlatformsResolver() throws Exception {
        long pid = Long.parseLong(Files.readString(dir.resolve("node-dns-cache/run/unbound.pid")).trim());
        ProcessHandle unbound = ProcessHandle.of(pid).orElseThrow();
        unbound.destroy();
        unbound.onExit().get(10, TimeUnit.SECONDS);
        long start = System.nanoTime();
        assertEquals(List.of(workerAddress.getHostAddress()), lookup(throughCache));
        long millis = (System.nanoTime() - start) / 1_000_000;
        assertTrue(millis < 4_000, millis + " ms: glibc must move on from the closed port at once, not after 5 s");
    }

    @Test
    void aWrongSettingIsOneLineNamingIt() throws Exception {
        ProcessBuilder builder = new ProcessBuilder("bash", "-c", "source \"$0\"/messages.sh && source \"$0\"/resolver.sh"
                + " && start_local_resolver", NODE_LIB.toString());
        builder.environment().put("LOCAL_DNS_CACHE", "yes");
        builder.environment().put("NODE_RESOLV_CONF", dir.resolve("untouched.conf").toString());
        Files.writeString(dir.resolve("untouched.conf"), "nameserver 192.0.2.1\n");
        Process process = builder.redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertEquals(2, process.waitFor());
        assertEquals("citus-node: error [local-dns-cache-invalid]: LOCAL_DNS_CACHE='yes' must be on or off", output);
        assertEquals("nameserver 192.0.2.1\n", Files.readString(dir.resolve("untouched.conf")));
    }

    /** The addresses getent (glibc's getaddrinfo) finds for the worker, through the given resolver set-up. */
    private List<String> lookup(UnaryOperator<List<String>> wrapper) throws IOException, InterruptedException {
        return lookup(wrapper, WORKER);
    }

    private List<String> lookup(UnaryOperator<List<String>> wrapper, String name)
            throws IOException, InterruptedException {
        Process process = new ProcessBuilder(wrapper.apply(List.of("getent", "ahostsv6", name)))
                .redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        process.waitFor();
        List<String> addresses = new ArrayList<>();
        for (String line : output.lines().toList()) {
            String address = line.split("\\s+")[0];
            if (line.contains("STREAM") && !addresses.contains(address)) {
                addresses.add(InetAddress.getByName(address).getHostAddress());
            }
        }
        return addresses;
    }
}
