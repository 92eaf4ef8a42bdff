package org.citusrailway.registrar;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.citusrailway.testkit.Await;
import org.citusrailway.testkit.FreePorts;
import org.citusrailway.testkit.LocalPostgres;
import org.citusrailway.testkit.PostgresBinaries;
import org.citusrailway.testkit.ResolverSandbox;
import org.citusrailway.testkit.TestDnsServer;
import org.citusrailway.testkit.cluster.LocalCitusCluster;
import org.citusrailway.testkit.registrar.RegistrarProcess;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * End to end, as on a Railway private network that answers AAAA only through a congested resolver: Citus nodes that
 * listen only on their own IPv6 address, names served by a real DNS server on loopback that drops 10 % of the queries
 * and answers 5 % two seconds late, and the registrar as a child process with its default configuration, reaching
 * that server through /etc/resolv.conf in its own mount namespace (the coordinator's libpq resolves the same way).
 */
class LossyIpv6DnsTest {
    private static final String PASSWORD = "Lossy-Dns-Secret-4";

    @TempDir
    Path dir;

    @Test
    void workersOnIpv6OnlyNamesJoinThroughALossyResolverAndNoneIsReportedLost() throws Exception {
        ResolverSandbox.unavailableReason().ifPresent(reason -> Assumptions.abort(reason));
        PostgresBinaries binaries = PostgresBinaries.withCitus().orElse(null);
        Assumptions.assumeTrue(binaries != null, PostgresBinaries.citusMissingReason());
        // timeout:1 for the coordinator's libc resolver: glibc's 5 s default would make citus_add_node wait it out
        try (ResolverSandbox sandbox = ResolverSandbox.create(dir, "railway.internal", "timeout:1 attempts:4");
                TestDnsServer dns = TestDnsServer.start(new InetSocketAddress(sandbox.nameserver(), 53))) {
            List<LocalPostgres> servers = new ArrayList<>();
            RegistrarProcess registrar = null;
            try {
            LocalPostgres coordinator = node(binaries, sandbox, dns, "coordinator", 0x10, servers);
            LocalPostgres worker1 = node(binaries, sandbox, dns, "worker1", 0x11, servers);
            LocalPostgres worker2 = node(binaries, sandbox, dns, "worker-2", 0x12, servers);
            LocalPostgres worker3 = node(binaries, sandbox, dns, null, 0x13, servers);
            dns.misbehave(0.10, 0.05, Duration.ofSeconds(2));
            LocalPostgres.startAll(List.of(coordinator, worker1, worker2), LocalCitusCluster.CREATE_CITUS);

            int httpPort = FreePorts.next();
            registrar = RegistrarProcess.fromClassPath().systemResolver().wrapper(sandbox::wrap)
                    .env("POSTGRES_PASSWORD", PASSWORD).httpPort(httpPort).start();
            Await.until(Duration.ofSeconds(60), "both workers active, by name", () -> activeWorkers(coordinator)
                    .equals(Set.of("worker1.railway.internal", "worker-2.railway.internal")));

            // A worker added later: its name appears when its container starts, before PostgreSQL accepts connections.
            dns.put("worker3.railway.internal", sandbox.ipv6(0x13));
            worker3.start();
            worker3.execute("postgres", LocalCitusCluster.CREATE_CITUS);
            Await.until(Duration.ofSeconds(30), "worker 3 active", () -> activeWorkers(coordinator)
                    .contains("worker3.railway.internal"));

            Thread.sleep(Duration.ofSeconds(20)); // quiet: four passes with every worker up
            String log = registrar.stdout();
            assertFalse(log.contains("worker-lost"), "a lossy resolver made a worker look lost:\n" + log);
            assertTrue(dns.dropped() > 0 && dns.delayed() > 0, "the server dropped and delayed queries");
            String status = registrar.http("/status");
            assertTrue(status.contains("\"dns\":{\"names\":"), status);
            assertTrue(status.contains("\"reachable\":true"), status);
            assertFalse(status.contains("\"reachable\":false"), status);
            String metrics = registrar.http("/metrics");
            assertTrue(metrics.contains("citus_registrar_nodes{state=\"active\"} 3\n"), metrics);
            assertTrue(metrics.contains("citus_registrar_nodes{state=\"unreachable\"} 0\n"), metrics);
            assertTrue(metrics.matches("(?s).*citus_registrar_dns_queries_total [1-9][0-9]*\n.*"), metrics);
            assertEquals(3, activeWorkers(coordinator).size());
            } finally {
                if (registrar != null) {
                    registrar.close();
                }
                servers.forEach(LocalPostgres::close); // while their addresses and names still exist
            }
        }
    }

    /** A Citus node listening only on the n-th IPv6 address of the sandbox, its name in DNS (AAAA only) unless null. */
    private static LocalPostgres node(PostgresBinaries binaries, ResolverSandbox sandbox, TestDnsServer dns,
            String name, int n, List<LocalPostgres> servers) {
        InetAddress address = sandbox.ipv6(n);
        if (name != null) {
            dns.put(name + ".railway.internal", address);
        }
        LocalPostgres server = LocalPostgres.builder(binaries).password(PASSWORD).citus()
                .pgpass("*:*:*:" + LocalPostgres.SUPERUSER + ":" + PASSWORD + "\n")
                .listenAddress(address.getHostAddress()).port(5432).wrapper(sandbox::wrap).build();
        servers.add(server);
        return server;
    }

    private static Set<String> activeWorkers(LocalPostgres coordinator) {
        try {
            return new TreeSet<>(coordinator.sql().rows("select nodename from pg_dist_node where groupid <> 0 and"
                    + " isactive and noderole = 'primary'", rs -> rs.getString(1)));
        } catch (IllegalStateException e) {
            return Set.of();
        }
    }
}
