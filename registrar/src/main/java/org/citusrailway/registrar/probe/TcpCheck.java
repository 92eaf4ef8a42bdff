package org.citusrailway.registrar.probe;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * Liveness of a node without authenticating: a TCP connect, closed at once. PostgreSQL 13+ does not log connections
 * that close before sending anything, and no SCRAM work is spent on either side. Used by the pass (registered active
 * workers) and by the readiness watch between passes (pending workers).
 */
public final class TcpCheck {
    private TcpCheck() {
    }

    /** One node to check: its addresses, tried in order, and its port. */
    public record Target<K>(K key, List<InetAddress> addresses, int port) {
    }

    /**
     * Checks every target at once from the calling thread: non-blocking connects on one selector, each address given
     * {@code timeout}, the next address tried when one fails. A thread per check cost more CPU than the connects
     * themselves, every pass. Unfinished targets count as down if the selector fails or the thread is interrupted.
     */
    public static <K> Map<K, Boolean> acceptsAll(List<Target<K>> targets, Duration timeout) {
        Map<K, Boolean> results = new HashMap<>();
        if (targets.isEmpty()) {
            return results;
        }
        try (Selector selector = Selector.open()) {
            for (Target<K> target : targets) {
                new Attempt<>(target, timeout).next(selector, results);
            }
            while (true) {
                long now = System.nanoTime();
                long wait = Long.MAX_VALUE;
                for (SelectionKey key : selector.keys()) {
                    if (key.isValid()) { // closed channels' keys stay in the set until the next select
                        wait = Math.min(wait, ((Attempt<?>) key.attachment()).deadline - now);
                    }
                }
                if (wait == Long.MAX_VALUE) {
                    break;
                }
                if (wait > 0) {
                    selector.select(Math.max(1, Duration.ofNanos(wait).toMillis()));
                } else {
                    selector.selectNow();
                }
                if (Thread.currentThread().isInterrupted()) {
                    break; // stopping: what is unfinished counts as down, and the caller gives up the pass
                }
                for (SelectionKey key : selector.selectedKeys()) {
                    @SuppressWarnings("unchecked")
                    Attempt<K> attempt = (Attempt<K>) key.attachment();
                    attempt.finish(selector, results);
                }
                selector.selectedKeys().clear();
                now = System.nanoTime();
                for (SelectionKey key : List.copyOf(selector.keys())) {
                    @SuppressWarnings("unchecked")
                    Attempt<K> attempt = (Attempt<K>) key.attachment();
                    if (key.isValid() && now - attempt.deadline >= 0) {
                        attempt.failed(selector, results);
                    }
                }
            }
        } catch (IOException e) {
            // no selector: nothing could be checked
        } finally {
            for (Target<K> target : targets) {
                results.putIfAbsent(target.key(), false);
            }
        }
        return results;
    }

    /** One target's connect in flight: the channel, its deadline, and the addresses left to try. */
    private static final class Attempt<K> {
        private final Target<K> target;
        private final Duration timeout;
        private final Iterator<InetAddress> remaining;
        private SocketChannel channel;
        private long deadline;

        Attempt(Target<K> target, Duration timeout) {
            this.target = target;
            this.timeout = timeout;
            this.remaining = target.addresses().iterator();
        }

        /** Starts a connect to the next address, or records the target as down when none is left. */
        void next(Selector selector, Map<K, Boolean> results) {
            while (remaining.hasNext()) {
                InetSocketAddress address = new InetSocketAddress(remaining.next(), target.port());
                try {
                    channel = SocketChannel.open();
                    channel.configureBlocking(false);
                    if (channel.connect(address)) {
                        close();
                        results.put(target.key(), true);
                        return;
                    }
                    deadline = System.nanoTime() + timeout.toNanos();
                    channel.register(selector, SelectionKey.OP_CONNECT, this);
                    return;
                } catch (IOException e) {
                    close(); // try the next address (A and AAAA may both be listed, only one may route)
                }
            }
            results.put(target.key(), false);
        }

        void finish(Selector selector, Map<K, Boolean> results) {
            try {
                if (channel.finishConnect()) {
                    close();
                    results.put(target.key(), true);
                }
            } catch (IOException e) {
                failed(selector, results);
            }
        }

        void failed(Selector selector, Map<K, Boolean> results) {
            close();
            next(selector, results);
        }

        private void close() {
            try {
                channel.close(); // also cancels its key
            } catch (IOException ignored) {
                // closing a socket that never connected
            }
        }
    }
}
