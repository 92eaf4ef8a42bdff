package org.citusrailway.testkit;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Ports for test servers, handed out below Linux's ephemeral range (32768–60999). A port taken from that range
 * (new ServerSocket(0)) can be grabbed by any outgoing connection between the moment it is chosen and the moment
 * the server binds it; these cannot, and one JVM never hands out the same port twice.
 */
public final class FreePorts {
    private static final int FIRST = 20000;
    private static final int COUNT = 12000;
    /** Spread concurrent JVMs over the range by their pid. */
    private static final AtomicInteger NEXT = new AtomicInteger((int) (ProcessHandle.current().pid() * 7919 % COUNT));

    private FreePorts() {
    }

    /** A port nothing listens on, on any address. */
    public static int next() {
        for (int tries = 0; tries < COUNT; tries++) {
            int port = FIRST + Math.floorMod(NEXT.getAndIncrement(), COUNT);
            if (free(port)) {
                return port;
            }
        }
        throw new IllegalStateException("no free port between " + FIRST + " and " + (FIRST + COUNT));
    }

    /** The first of two consecutive free ports (for a script that takes one port and uses the next as well). */
    public static int pair() {
        for (int tries = 0; tries < COUNT; tries++) {
            int port = FIRST + Math.floorMod(NEXT.getAndAdd(2), COUNT - 1);
            if (free(port) && free(port + 1)) {
                return port;
            }
        }
        throw new IllegalStateException("no two free ports in a row between " + FIRST + " and " + (FIRST + COUNT));
    }

    private static boolean free(int port) {
        try (ServerSocket socket = new ServerSocket()) {
            socket.setReuseAddress(false);
            socket.bind(new InetSocketAddress(port));
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
