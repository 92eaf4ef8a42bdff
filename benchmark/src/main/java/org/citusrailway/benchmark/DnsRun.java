package org.citusrailway.benchmark;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.UnaryOperator;
import org.citusrailway.testkit.FreePorts;
import org.citusrailway.testkit.LocalPostgres;
import org.citusrailway.testkit.PostgresBinaries;
import org.citusrailway.testkit.ProcStat;
import org.citusrailway.testkit.ResolverSandbox;
import org.citusrailway.testkit.Sql;
import org.citusrailway.testkit.TestDnsServer;
import org.citusrailway.testkit.registrar.RegistrarProcess;

/**
 * Discovery through a real, misbehaving DNS server: the registrar jar as a child process with its default settings in
 * a mount namespace whose /etc/resolv.conf names a test DNS server on loopback (port 53), Citus nodes listening only
 * on their own IPv6 addresses, names answered with AAAA records only. Prints pass durations at 0, 5 and 20 % dropped
 * queries, worker accepts connections → active with 10 % dropped and 5 % delayed by 2 s, false worker-lost over a
 * quiet period with every worker up, and the registrar's CPU meanwhile. Needs root and Citus; says why otherwise.
 *
 * <p>Usage: {@code java -cp benchmark.jar org.citusrailway.benchmark.DnsRun [--passes N] [--rounds N]
 * [--quiet-minutes N] [--idle-minutes N] [--registrar-jar P]}
 */
public final class DnsRun {
    private static final String PASSWORD = "Dns-Bench-Secret-7";
    private static final String DOMAIN = "railway.internal";

    private DnsRun() {
    }

    public static void main(String[] args) throws Exception {
        int passes = 100;
        int rounds = 20;
        int quietMinutes = 10;
        int idleMinutes = 3;
        String jar = "registrar/target/registrar.jar";
        for (int i = 0; i + 1 < args.length; i += 2) {
            switch (args[i]) {
                case "--passes" -> passes = Integer.parseInt(args[i + 1]);
                case "--rounds" -> rounds = Integer.parseInt(args[i + 1]);
                case "--quiet-minutes" -> quietMinutes = Integer.parseInt(args[i + 1]);
                case "--idle-minutes" -> idleMinutes = Integer.parseInt(args[i + 1]);
                case "--registrar-jar" -> jar = args[i + 1];
                default -> {
                    System.err.println("unknown option " + args[i]);
                    System.exit(2);
                }
            }
        }
        var unavailable = ResolverSandbox.unavailableReason();
        if (unavailable.isPresent()) {
            System.out.println("SKIPPED: " + unavailable.get());
            return;
        }
        if (!Files.isExecutable(Path.of("/usr/sbin/unbound"))) {
            System.out.println("SKIPPED: no /usr/sbin/unbound, the node images' local DNS cache (apt-get install unbound)");
            return;
        }
        PostgresBinaries binaries = PostgresBinaries.withCitus().orElse(null);
        if (binaries == null) {
            System.out.println("SKIPPED: " + PostgresBinaries.citusMissingReason());
            return;
        }
        Path dir = Files.createTempDirectory("citus-railway-dns-bench-");
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        List<LocalPostgres> servers = new ArrayList<>();
        // resolv.conf as the platform writes it: no options, so glibc's defaults (5 s timeout, 2 attempts)
        try (ResolverSandbox sandbox = ResolverSandbox.create(dir, DOMAIN, null);
                TestDnsServer dns = TestDnsServer.start(new InetSocketAddress(sandbox.nameserver(), 53))) {
            try {
                // The image's JVM options file without its AOT cache: the idle CPU figure is the image's, less the
                // cache's head start.
                new DnsRun().run(sandbox, dns, binaries, servers, RegistrarJvm.withOptionsFile(JvmCommand.plain(java,
                        Path.of(jar), dir)), passes, rounds, quietMinutes, idleMinutes);
            } finally {
                servers.forEach(LocalPostgres::close);
            }
        }
    }

    private void run(ResolverSandbox sandbox, TestDnsServer dns, PostgresBinaries binaries, List<LocalPostgres> servers,
            JvmCommand image, int passes, int rounds, int quietMinutes, int idleMinutes) throws Exception {
        JvmCommand command = image.with("java -jar in the resolver sandbox",
                b -> b.systemResolver().wrapper(sandbox::wrap));
        // The nodes resolve through the node images' own DNS cache (node/lib/resolver.sh), the registrar does not.
        UnaryOperator<List<String>> nodeResolver = sandbox.nodeDnsCache(Path.of("node/lib"));
        LocalPostgres coordinator = node(binaries, sandbox, nodeResolver, dns, "coordinator", 0x10, servers);
        List<LocalPostgres> first = new ArrayList<>(List.of(coordinator,
                node(binaries, sandbox, nodeResolver, dns, "worker1", 0x11, servers),
                node(binaries, sandbox, nodeResolver, dns, "worker2", 0x12, servers)));
        List<LocalPostgres> joiners = new ArrayList<>();
        List<String> joinerNames = new ArrayList<>();
        for (int r = 0; r < rounds; r++) {
            String name = r < 18 ? "worker" + (r + 3) : "worker-" + (r - 17);
            joinerNames.add(name + "." + DOMAIN);
            joiners.add(node(binaries, sandbox, nodeResolver, null, null, 0x20 + r, servers));
        }
        System.out.printf("Setting up: Citus (%s) coordinator and %d workers on IPv6 addresses of lo, DNS on %s:53%n",
                binaries.label(), 2 + rounds, sandbox.nameserver().getHostAddress());
        List<LocalPostgres> all = new ArrayList<>(first);
        all.addAll(joiners);
        LocalPostgres.startAll(all, "create extension if not exists citus");
        for (LocalPostgres joiner : joiners) {
            joiner.stop(); // ready with citus, down until its round
        }

        // 1. Pass duration at 0, 5, 20 % dropped queries (SCAN_INTERVAL=200ms only to collect passes quickly)
        System.out.println();
        System.out.println("Pass over the 80 default names (2 resolve, 78 NXDOMAIN) + the 2 registered workers:");
        System.out.println("  dropped   passes   median    p95      max      names unanswered (sum)");
        for (double drop : new double[] {0, 0.05, 0.20}) {
            dns.misbehave(drop, 0, Duration.ZERO);
            try (RegistrarProcess registrar = command.start(Map.of("POSTGRES_PASSWORD", PASSWORD,
                    "SCAN_INTERVAL", "200ms"), FreePorts.next())) {
                // JIT warm-up first
                MetricsText.awaitPasses(registrar, 150, Duration.ofSeconds(120), Duration.ofMillis(100));
                List<Double> millis = new ArrayList<>();
                MetricsText previous = MetricsText.of(registrar);
                while (millis.size() < passes) {
                    Thread.sleep(40);
                    MetricsText now = MetricsText.of(registrar);
                    if (now.passes() == previous.passes() + 1) {
                        millis.add(now.lastPassSeconds() * 1000);
                    }
                    previous = now;
                }
                double unanswered = previous.get("citus_registrar_dns_lookups_total{result=\"timeout\"}")
                        + previous.get("citus_registrar_dns_lookups_total{result=\"failed\"}");
                Percentiles p = Percentiles.of(millis);
                System.out.printf(Locale.ROOT, "  %3.0f %%    %5d   %6.1f ms %6.1f ms %6.1f ms  %.0f of %.0f lookups%n",
                        drop * 100, p.count(), p.median(), p.at(95), p.max(), unanswered,
                        previous.passes() * 82.0);
            }
        }

        // 2. Join latency and 3. quiet period, with the resolver: 10 % dropped, 5 % answered 2 s late
        dns.misbehave(0.10, 0.05, Duration.ofSeconds(2));
        System.out.println();
        System.out.println("Default settings, 10 % of queries dropped, 5 % answered 2 s late, AAAA records only:");
        try (RegistrarProcess registrar = command.start(Map.of("POSTGRES_PASSWORD", PASSWORD), FreePorts.next())) {
            MetricsText.awaitPasses(registrar, 2, Duration.ofSeconds(60), Duration.ofMillis(200));
            awaitActive(coordinator, 2, Duration.ofSeconds(60));
            List<Double> joins = new ArrayList<>();
            for (int r = 0; r < rounds; r++) {
                String name = joinerNames.get(r);
                LocalPostgres worker = joiners.get(r);
                dns.put(name, sandbox.ipv6(0x20 + r)); // the name appears when the container starts
                awaitPending(registrar, name, Duration.ofSeconds(30));
                Thread.sleep(ThreadLocalRandom.current().nextLong(1000, 2000));
                Thread start = Thread.ofPlatform().start(worker::start);
                long accepted = awaitAccepting(worker);
                long active;
                try {
                    active = awaitActive(coordinator, 3 + r, Duration.ofSeconds(60));
                } catch (IllegalStateException e) {
                    // counted as a miss; the quiet period still runs with the workers that did join
                    System.out.println("  round " + (r + 1) + ": " + name + " not active within 60 s (ending the rounds)");
                    start.join();
                    joins.add(60_000.0);
                    break;
                }
                start.join();
                joins.add((active - accepted) / 1e6);
                System.out.printf(Locale.ROOT, "  round %2d: %s accepts connections → active in %6.0f ms%n", r + 1,
                        name, joins.get(joins.size() - 1));
            }
            Percentiles p = Percentiles.of(joins);
            System.out.printf(Locale.ROOT, "  join latency: p50 %.0f ms, p95 %.0f ms, max %.0f ms (%d rounds)"
                    + "   target p95 ≤ 3000 ms: %s%n", p.median(), p.at(95), p.max(), p.count(),
                    p.at(95) <= 3000 ? "PASS" : "MISS");

            List<String> addFailures = registrar.linesContaining("\"worker-add-failed\"");
            System.out.printf("  citus_add_node failures meanwhile (retried): %d%s%n", addFailures.size(),
                    addFailures.isEmpty() ? "" : ", e.g. " + addFailures.get(0).replaceAll(".*\"message\":\"", "")
                            .replaceAll("\",\"throwable.*", ""));
            long lostBefore = registrar.linesContaining("\"worker-lost\"").size();
            Window quiet = Window.watch(registrar, dns, Duration.ofMinutes(quietMinutes));
            long lost = registrar.linesContaining("\"worker-lost\"").size() - lostBefore;
            System.out.printf(Locale.ROOT, "  quiet %d min, %d workers up: %d passes, %d DNS queries (%d dropped,"
                    + " %d late so far), %.0f lookups unanswered in total%n", quietMinutes, 2 + joins.size(),
                    quiet.passes(), quiet.queries(), dns.dropped(), dns.delayed(),
                    MetricsText.of(registrar).get("citus_registrar_dns_lookups_total{result=\"timeout\"}"));
            System.out.printf(Locale.ROOT, "  false worker-lost: %d   target 0: %s%n", lost, lost == 0 ? "PASS" : "MISS");
            System.out.printf(Locale.ROOT, "  registrar CPU meanwhile: %.3f %% of a core (lossy resolver)%n",
                    quiet.cpuPercent());

            // 4. Idle: the same cluster and registrar, the resolver answering every query at once.
            dns.misbehave(0, 0, Duration.ZERO);
            Thread.sleep(Duration.ofSeconds(30));
            Window idle = Window.watch(registrar, dns, Duration.ofMinutes(idleMinutes));
            System.out.printf(Locale.ROOT, "  idle %d min, resolver answering everything: %d passes, %d DNS queries;"
                    + " registrar CPU %.3f %% of a core   target ≤ 0.2 %%: %s%n", idleMinutes, idle.passes(),
                    idle.queries(), idle.cpuPercent(), idle.cpuPercent() <= 0.2 ? "PASS" : "MISS");
        }
    }

    /** The registrar's passes, the DNS queries it sent and its CPU (share of one core) over a stretch of time. */
    private record Window(long passes, long queries, double cpuPercent) {
        static Window watch(RegistrarProcess registrar, TestDnsServer dns, Duration length) throws Exception {
            long cpuBefore = registrar.cpuTicks();
            long passesBefore = MetricsText.of(registrar).passes();
            long queriesBefore = dns.queries();
            long t0 = System.nanoTime();
            Thread.sleep(length);
            double seconds = (System.nanoTime() - t0) / 1e9;
            double cpuMillis = ProcStat.ticksToMillis(registrar.cpuTicks() - cpuBefore);
            return new Window(MetricsText.of(registrar).passes() - passesBefore, dns.queries() - queriesBefore,
                    cpuMillis / (seconds * 1000) * 100);
        }
    }

    /** A Citus node on the n-th IPv6 address of the sandbox, its name in DNS (AAAA only) when given. */
    private static LocalPostgres node(PostgresBinaries binaries, ResolverSandbox sandbox,
            UnaryOperator<List<String>> resolver, TestDnsServer dns, String name, int n, List<LocalPostgres> servers) {
        InetAddress address = sandbox.ipv6(n);
        if (name != null) {
            dns.put(name + "." + DOMAIN, address);
        }
        LocalPostgres server = LocalPostgres.builder(binaries).password(PASSWORD).citus()
                .pgpass("*:*:*:" + LocalPostgres.SUPERUSER + ":" + PASSWORD + "\n")
                .listenAddress(address.getHostAddress()).port(5432).wrapper(resolver).build();
        servers.add(server);
        return server;
    }

    private static void awaitPending(RegistrarProcess registrar, String name, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!registrar.http("/status").matches("(?s).*\"pendingCandidates\":\\[[^\\]]*" + name.replace(".", "\\.")
                + ".*")) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(name + " not pending within " + timeout + "\n" + registrar.tail());
            }
            Thread.sleep(50);
        }
    }

    /** System.nanoTime of the first authenticated connection, polled every 10 ms. */
    private static long awaitAccepting(LocalPostgres worker) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (System.nanoTime() < deadline) {
            try (Connection ignored = worker.connect()) {
                return System.nanoTime();
            } catch (SQLException e) {
                Thread.sleep(10);
            }
        }
        throw new IllegalStateException("worker did not accept connections within 60 s");
    }

    /** System.nanoTime when the coordinator first shows this many active workers, polled every 10 ms. */
    private static long awaitActive(LocalPostgres coordinator, int workers, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        try (Connection c = coordinator.connect()) {
            while (System.nanoTime() < deadline) {
                if (Long.parseLong(Sql.value(c, "select count(*) from pg_dist_node where groupid <> 0 and isactive"))
                        >= workers) {
                    return System.nanoTime();
                }
                Thread.sleep(10);
            }
        }
        throw new IllegalStateException("fewer than " + workers + " active workers within " + timeout);
    }
}
