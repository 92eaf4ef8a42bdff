package org.citusrailway.registrar.probe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.citusrailway.registrar.config.Config;
import org.citusrailway.registrar.name.HostPort;
import org.citusrailway.registrar.pg.PgConnector;
import org.junit.jupiter.api.Test;

/** The readiness watch on plain sockets: what counts as ready between passes. */
class ReadinessWatchTest {
    private final Config config = Config.fromEnvironment(Map.of("POSTGRES_PASSWORD", "watch-secret",
            "CONNECT_TIMEOUT", "500ms"));
    private final ReadinessWatch watch = new ReadinessWatch(new WorkerProbe(new PgConnector(config)),
            config.connectTimeout());
    private final List<InetAddress> loopback = List.of(InetAddress.getLoopbackAddress());

    @Test
    void aClosedPortIsNotReadyAnOpenOneIs() throws Exception {
        int port;
        try (ServerSocket probe = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            port = probe.getLocalPort();
        }
        HostPort worker = new HostPort("localhost", port);
        watch.watch(List.of(new ReadinessWatch.Target(worker, loopback, ReadinessWatch.Mode.TCP)));
        assertNull(watch.firstReady(), "nothing listens");
        try (ServerSocket server = new ServerSocket(port, 50, InetAddress.getLoopbackAddress())) {
            assertEquals(worker, watch.firstReady());
        }
    }

    @Test
    void somethingThatAcceptsButIsNotPostgresIsNotReadyWhenProbed() throws Exception {
        try (ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            Thread closer = Thread.ofVirtual().start(() -> {
                while (!server.isClosed()) {
                    try (Socket s = server.accept()) {
                        // accept and hang up at once
                    } catch (Exception e) {
                        return;
                    }
                }
            });
            HostPort worker = new HostPort("localhost", server.getLocalPort());
            watch.watch(List.of(new ReadinessWatch.Target(worker, loopback, ReadinessWatch.Mode.PROBE)));
            long start = System.nanoTime();
            assertNull(watch.firstReady(), "the probe fails cheaply: not ready, no pass");
            assertEquals(true, Duration.ofNanos(System.nanoTime() - start).toMillis() < 3000);
            server.close();
            closer.join(2000);
        }
    }

    @Test
    void nothingToWatch() {
        watch.watch(List.of());
        assertEquals(true, watch.idle());
        assertNull(watch.firstReady());
    }

    @Test
    void silentPendingWorkersHoldUpARoundByOneTimeoutNotOneEach() throws Exception {
        InetAddress address = InetAddress.getLoopbackAddress();
        try (SilentListener silent = new SilentListener(address); ServerSocket open = new ServerSocket(0, 50, address)) {
            List<ReadinessWatch.Target> pending = new ArrayList<>();
            for (int i = 1; i <= 3; i++) {
                pending.add(new ReadinessWatch.Target(new HostPort("127.0.0." + i, silent.port()),
                        loopback, ReadinessWatch.Mode.TCP));
            }
            HostPort ready = new HostPort("localhost", open.getLocalPort());
            pending.add(new ReadinessWatch.Target(ready, loopback, ReadinessWatch.Mode.TCP));
            watch.watch(pending);

            long start = System.nanoTime();
            assertEquals(ready, watch.firstReady());
            long millis = Duration.ofNanos(System.nanoTime() - start).toMillis();
            assertTrue(millis < 2 * config.connectTimeout().toMillis(), millis + " ms for three silent workers and"
                    + " a ready one: they are checked at once");
        }
    }
}
