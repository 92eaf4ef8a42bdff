package org.citusrailway.registrar.probe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
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
        try (ServerSocket open = new ServerSocket(0, 50, first); SilentListener silent = new SilentListener(first)) {
            int closed;
            try (ServerSocket gone = new ServerSocket(0, 1, first)) {
                closed = gone.getLocalPort();
            }
            List<TcpCheck.Target<String>> targets = List.of(
                    new TcpCheck.Target<>("open", List.of(first), open.getLocalPort()),
                    new TcpCheck.Target<>("refused", List.of(first), closed),
                    new TcpCheck.Target<>("second address", List.of(second, first), open.getLocalPort()),
                    new TcpCheck.Target<>("no address", List.of(), open.getLocalPort()),
                    new TcpCheck.Target<>("silent", List.of(first), silent.port()),
                    new TcpCheck.Target<>("silent too", List.of(first), silent.port()),
                    new TcpCheck.Target<>("silent as well", List.of(first), silent.port()));

            long start = System.nanoTime();
            Map<String, Boolean> up = TcpCheck.acceptsAll(targets, TIMEOUT);
            long millis = Duration.ofNanos(System.nanoTime() - start).toMillis();

            assertEquals(Map.of("open", true, "refused", false, "second address", true, "no address", false,
                    "silent", false, "silent too", false, "silent as well", false), up);
            assertTrue(millis >= TIMEOUT.toMillis() - 50 && millis < TIMEOUT.toMillis() * 2,
                    millis + " ms: the silent targets waited out one timeout together, not one after the other");
        }
    }

    @Test
    void aTargetWhoseFirstAddressIsSilentIsTriedAtItsNextOne() throws Exception {
        InetAddress loopback = InetAddress.getByName("127.0.0.1");
        try (SilentListener silent = new SilentListener(loopback);
                ServerSocket open = new ServerSocket(silent.port(), 50, InetAddress.getByName("127.0.0.3"))) {
            Map<String, Boolean> up = TcpCheck.acceptsAll(List.of(new TcpCheck.Target<>("worker",
                    List.of(loopback, InetAddress.getByName("127.0.0.3")), silent.port())), TIMEOUT);
            assertEquals(Map.of("worker", true), up);
        }
    }

    @Test
    void nothingToCheckIsAnEmptyAnswer() {
        assertEquals(Map.of(), TcpCheck.acceptsAll(List.<TcpCheck.Target<String>>of(), TIMEOUT));
    }
}
