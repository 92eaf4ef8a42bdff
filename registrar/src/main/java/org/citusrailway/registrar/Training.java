package org.citusrailway.registrar;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.citusrailway.registrar.config.Config;
import org.citusrailway.registrar.name.HostPort;
import org.citusrailway.registrar.pg.PgConnector;
import org.citusrailway.registrar.pg.SqlErrors;
import org.citusrailway.registrar.reconcile.ReconcileInput;
import org.citusrailway.registrar.reconcile.Reconciler;
import org.citusrailway.registrar.report.HttpEndpoints;
import org.citusrailway.registrar.result.ProbeResult;
import org.citusrailway.registrar.row.NodeRow;
import org.citusrailway.registrar.row.RebalanceJob;
import org.citusrailway.registrar.timing.Backoff;
import org.citusrailway.registrar.view.Status;

/**
 * The {@code --train} mode, run at image build time by {@code registrar/aot-training.sh} with
 * {@code -XX:AOTCacheOutput}: the JVM records which classes a real run loads and links and how its methods behave,
 * and later starts from that cache. So the run is real: configuration from the environment, a throwaway Citus
 * coordinator and worker, passes until the worker is registered, the HTTP endpoints read over HTTP. Paths a healthy
 * run rarely takes (decisions, failure classification) are exercised offline first.
 */
public final class Training {
    private static final int PASSES = 25;
    private static final Duration DEADLINE = Duration.ofSeconds(60);

    private Training() {
    }

    /** Returns normally once trained (the JVM then writes the cache); throws if the run never got that far. */
    public static void run(Config config) throws InterruptedException {
        offlinePaths(config);
        Registrar registrar = Registrar.connectingAhead(config);
        try (HttpEndpoints http = HttpEndpoints.start(config.httpPort(), registrar::running, registrar::statusJson,
                    registrar::metricsText)) {
            Thread loop = Thread.ofPlatform().name("training-loop").start(registrar::run);
            long deadline = System.nanoTime() + DEADLINE.toNanos();
            while (!(registrar.status().passes() >= PASSES && activeWorkers(registrar.status()) > 0)) {
                if (System.nanoTime() > deadline || !loop.isAlive()) {
                    registrar.stop();
                    throw new IllegalStateException("no worker registered after " + registrar.status().passes()
                            + " passes in " + DEADLINE.toSeconds() + " s; last status: " + registrar.statusJson());
                }
                Thread.sleep(50);
            }
            for (String path : List.of("/health", "/status", "/metrics", "/nothing-here")) {
                get(http.port(), path);
            }
            registrar.stop();
            registrar.awaitStopped(Duration.ofSeconds(5));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static long activeWorkers(Status status) {
        return status.nodes().stream().filter(node -> node.groupId() != 0 && node.isActive()).count();
    }

    private static void offlinePaths(Config config) {
        List<NodeRow> rows = List.of(new NodeRow(1, 0, "coordinator.railway.internal", 5432, true, "primary", true, false),
                new NodeRow(2, 1, "worker1.railway.internal", 5432, false, "primary", false, true));
        HostPort worker = new HostPort("worker2.railway.internal", 5432);
        Reconciler.decide(new ReconcileInput(config.coordinator(), rows, List.of(worker),
                Map.of(worker, new ProbeResult.Reached("13.2-1", "a", null)), java.util.Set.of(), "13.2-1", "b", Map.of(),
                java.util.Set.of(), null, java.util.Set.of()));
        new Backoff(Duration.ofSeconds(1), Duration.ofSeconds(5)).delay(3);
        new RebalanceJob(1, "running", null, null, RebalanceJob.counts("done=1,running=1"), null).total();
        try {
            // Port 1 on loopback refuses at once: the unreachable-worker path.
            new PgConnector(config).openWorker(new HostPort("localhost", 1),
                    List.of(java.net.InetAddress.getLoopbackAddress())).close();
        } catch (SQLException expected) {
            SqlErrors.classify(expected);
            SqlErrors.message(expected);
        }
    }

    /**
     * One request over a plain socket, as Railway's healthcheck or a scraper sends it: the JDK's HTTP client classes
     * would otherwise land in the cache that every start loads, and the registrar itself never uses them.
     */
    private static void get(int port, String path) throws IOException {
        try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), port)) {
            socket.getOutputStream().write(("GET " + path + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            socket.getInputStream().readAllBytes();
        }
    }
}
