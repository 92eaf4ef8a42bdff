package org.citusrailway.registrar.probe;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.List;

/**
 * Liveness of a registered node without authenticating: a TCP connect, closed at once. PostgreSQL 13+ does not log
 * connections that close before sending anything, and no SCRAM work is spent on either side.
 */
public final class TcpCheck {
    private TcpCheck() {
    }

    public static boolean accepts(List<InetAddress> addresses, int port, Duration timeout) {
        for (InetAddress address : addresses) {
            try (Socket socket = new Socket()) {
                socket.connect(new InetSocketAddress(address, port), (int) Math.max(1, timeout.toMillis()));
                return true;
            } catch (IOException e) {
                // try the next address (A and AAAA may both be listed, only one may route)
            }
        }
        return false;
    }
}
