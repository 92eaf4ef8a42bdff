package org.citusrailway.registrar.probe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** TCP checks on real loopback sockets: listening, refusing, and a listener that never answers. */
class TcpCheckTest {
    private static final Duration TIMEOUT = Duration.ofMillis(500);

    @Test
    void allTargetsAreCheckedAtOnceEachAddressInTurnAndASilentOneTimesOut() throws Exception {
        InetAddress first = InetAddress.getByName("127.0.0.1");
        InetAddress second = InetAddress.getByName("127.0.0.2");
        List<SocketChannel> queued = new ArrayList<>();
        try (ServerSocket open = new ServerSocket(0, 50, first);
                ServerSocket silent = new ServerSocket(0, 1, first)) {
            // A listener whose accept queue is full drops new SYNs: the connect neither succeeds nor fails.
            for (int i = 0; i < 4; i++) {
                SocketChannel channel = SocketChannel.open();
                channel.configureBlocking(false);
                channel.connect(silent.getLocalSocketAddress());
                queued.add(channel);
            }
            int closed;
            try (ServerSocket gone = new ServerSocket(0, 1, first)) {
                closed = gone.getLocalPort();
            }
            List<TcpCheck.Target<String>> targets = List.of(
                    new TcpCheck.Target<>("open", List.of(first), open.getLocalPort()),
                    new TcpCheck.Target<>("refused", List.of(first), closed),
                    new TcpCheck.Target<>("second address", List.of(second, first), open.getLocalPort()),
                    new TcpCheck.Target<>("no address", List.of(), open.getLocalPort()),
                    new TcpCheck.Target<>("silent", List.of(first), silent.getLocalPort()),
                    new TcpCheck.Target<>("silent too", List.of(first), silent.getLocalPort()),
                    new TcpCheck.Target<>("silent as well", List.of(first), silent.getLocalPort()));

            long start = System.nanoTime();
            Map<String, Boolean> up = TcpCheck.acceptsAll(targets, TIMEOUT);
            long millis = Duration.ofNanos(System.nanoTime() - start).toMillis();

            assertEquals(Map.of("open", true, "refused", false, "second address", true, "no address", false,
                    "silent", false, "silent too", false, "silent as well", false), up);
            assertTrue(millis >= TIMEOUT.toMillis() - 50 && millis < TIMEOUT.toMillis() * 2,
                    millis + " ms: the silent targets waited out one timeout together, not one after the other");
        } finally {
            for (SocketChannel channel : queued) {
                channel.close();
            }
        }
    }

    @Test
    void aTargetWhoseFirstAddressIsSilentIsTriedAtItsNextOne() throws Exception {
        InetAddress loopback = InetAddress.getByName("127.0.0.1");
        List<SocketChannel> queued = new ArrayList<>();
        try (ServerSocket silent = new ServerSocket(0, 1, loopback);
                ServerSocket open = new ServerSocket(silent.getLocalPort(), 50, InetAddress.getByName("127.0.0.3"))) {
            for (int i = 0; i < 4; i++) {
                SocketChannel channel = SocketChannel.open();
                channel.configureBlocking(false);
                channel.connect(new InetSocketAddress(loopback, silent.getLocalPort()));
                queued.add(channel);
            }
            Map<String, Boolean> up = TcpCheck.acceptsAll(List.of(new TcpCheck.Target<>("worker",
                    List.of(loopback, InetAddress.getByName("127.0.0.3")), silent.getLocalPort())), TIMEOUT);
            assertEquals(Map.of("worker", true), up);
        } finally {
            for (SocketChannel channel : queued) {
                channel.close();
            }
        }
    }

    @Test
    void nothingToCheckIsAnEmptyAnswer() {
        assertEquals(Map.of(), TcpCheck.acceptsAll(List.<TcpCheck.Target<String>>of(), TIMEOUT));
    }
}
