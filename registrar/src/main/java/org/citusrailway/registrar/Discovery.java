package org.citusrailway.registrar;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.FutureTask;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Resolves names in parallel, one virtual thread per name, and waits at most the DNS timeout for all of them. A lookup
 * that outlives the timeout is not started again until it finishes. A native lookup holds its carrier thread (the JDK
 * adds carriers to compensate), so at most {@link #CONCURRENT_LOOKUPS} run at once: a hanging resolver must not turn
 * into dozens of OS threads.
 */
final class Discovery {
    static final int CONCURRENT_LOOKUPS = 8;

    private static final Semaphore LOOKUP_SLOTS = new Semaphore(CONCURRENT_LOOKUPS);

    private final Duration timeout;
    private final Map<String, Future<List<InetAddress>>> inFlight = new ConcurrentHashMap<>();

    Discovery(Duration timeout) {
        this.timeout = timeout;
    }

    Map<String, Resolution> resolve(Collection<String> names) throws InterruptedException {
        Map<String, Future<List<InetAddress>>> lookups = new LinkedHashMap<>();
        for (String name : names) {
            lookups.computeIfAbsent(name, n -> inFlight.computeIfAbsent(n, Discovery::startLookup));
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        Map<String, Resolution> results = new HashMap<>(lookups.size() * 2);
        for (Map.Entry<String, Future<List<InetAddress>>> lookup : lookups.entrySet()) {
            String name = lookup.getKey();
            Future<List<InetAddress>> future = lookup.getValue();
            try {
                long left = Math.max(0, deadline - System.nanoTime());
                results.put(name, Resolution.found(name, future.get(left, TimeUnit.NANOSECONDS)));
                inFlight.remove(name, future);
            } catch (TimeoutException e) {
                results.put(name, Resolution.failed(name, Resolution.TIMEOUT));
            } catch (ExecutionException e) {
                inFlight.remove(name, future);
                results.put(name, Resolution.failed(name, e.getCause() instanceof UnknownHostException
                        ? Resolution.NOT_FOUND : "dns-error: " + e.getCause().getMessage()));
            }
        }
        return results;
    }

    private static Future<List<InetAddress>> startLookup(String name) {
        // getAllByName returns both A and AAAA records: Railway's older environments are IPv6-only.
        FutureTask<List<InetAddress>> task = new FutureTask<>(() -> {
            LOOKUP_SLOTS.acquire(); // waiting here unmounts the virtual thread: no carrier is held
            try {
                return List.of(InetAddress.getAllByName(name));
            } finally {
                LOOKUP_SLOTS.release();
            }
        });
        Thread.ofVirtual().name("dns").start(task);
        return task;
    }
}
