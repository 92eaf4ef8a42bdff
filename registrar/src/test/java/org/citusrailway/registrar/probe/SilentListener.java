package org.citusrailway.registrar.probe;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.List;

/**
 * A port on loopback where a TCP connect neither succeeds nor fails, as at an address that does not route: a
 * listener whose accept queue is kept full, so the kernel drops every new SYN.
 */
final class SilentListener implements AutoCloseable {
    private final ServerSocket server;
    private final List<SocketChannel> queued = new ArrayList<>();

    SilentListener(InetAddress address) throws IOException {
        server = new ServerSocket(0, 1, address);
        for (int i = 0; i < 4; i++) { // a backlog of 1 queues 2; the rest wait, unanswered
            SocketChannel channel = SocketChannel.open();
            channel.configureBlocking(false);
            channel.connect(server.getLocalSocketAddress());
            queued.add(channel);
        }
    }

    int port() {
        return server.getLocalPort();
    }

    @Override
    public void close() throws IOException {
        for (SocketChannel channel : queued) {
            channel.close();
        }
        server.close();
    }
}
