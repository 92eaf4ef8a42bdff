package org.citusrailway.registrar;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Resolves names in parallel and waits at most the DNS timeout for all of them. A few lookup threads (virtual) share
 * the pass's names: one thread per name cost a third more CPU per pass than the lookups themselves. A native lookup
 * holds its carrier thread, so at most {@link #CONCURRENT_LOOKUPS} run at once, across passes: a hanging resolver
 * must not turn into dozens of OS threads. A name whose lookup outlived an earlier pass's timeout counts as timed out
 * until that lookup returns; it is not started twice.
 */
final class Discovery {
    static final int CONCURRENT_LOOKUPS = 8;

    private static final Semaphore LOOKUP_SLOTS = new Semaphore(CONCURRENT_LOOKUPS);

    /** How one name is looked up: the JVM's resolver (A and AAAA), or a stand-in resolver in tests of the timing. */
    interface Lookup {
        InetAddress[] addresses(String name) throws UnknownHostException;
    }

    private final Duration timeout;
    private final Lookup lookup;
    private final Set<String> inFlight = ConcurrentHashMap.newKeySet();

    Discovery(Duration timeout) {
        // getAllByName returns both A and AAAA records: Railway's older environments are IPv6-only.
        this(timeout, InetAddress::getAllByName);
    }

    Discovery(Duration timeout, Lookup lookup) {
        this.timeout = timeout;
        this.lookup = lookup;
    }

    Map<String, Resolution> resolve(Collection<String> names) throws InterruptedException {
        List<String> toLookUp = new ArrayList<>();
        Map<String, Resolution> results = new HashMap<>(names.size() * 2);
        for (String name : new LinkedHashSet<>(names)) {
            if (inFlight.contains(name)) {
                results.put(name, Resolution.failed(name, Resolution.TIMEOUT));
            } else {
                toLookUp.add(name);
            }
        }
        Batch batch = new Batch(toLookUp);
        for (int i = Math.min(CONCURRENT_LOOKUPS, toLookUp.size()); i > 0; i--) {
            Thread.ofVirtual().name("dns").start(batch::work);
        }
        try {
            batch.done.await(timeout.toNanos(), TimeUnit.NANOSECONDS);
        } finally {
            batch.expired = true; // lookup threads still running take no further names
        }
        for (String name : toLookUp) {
            results.put(name, batch.results.getOrDefault(name, Resolution.failed(name, Resolution.TIMEOUT)));
        }
        return results;
    }

    /** One pass's names, taken one at a time by the lookup threads. */
    private final class Batch {
        final List<String> names;
        final Map<String, Resolution> results = new ConcurrentHashMap<>();
        final CountDownLatch done;
        final AtomicInteger next = new AtomicInteger();
        volatile boolean expired;

        Batch(List<String> names) {
            this.names = names;
            this.done = new CountDownLatch(names.size());
        }

        void work() {
            int i;
            while (!expired && (i = next.getAndIncrement()) < names.size()) {
                String name = names.get(i);
                try {
                    LOOKUP_SLOTS.acquire(); // waiting here unmounts the virtual thread: no carrier is held
                } catch (InterruptedException e) {
                    return;
                }
                inFlight.add(name);
                try {
                    results.put(name, resolveOne(name));
                } finally {
                    inFlight.remove(name);
                    LOOKUP_SLOTS.release();
                    done.countDown();
                }
            }
        }
    }

    private Resolution resolveOne(String name) {
        try {
            return Resolution.found(name, List.of(lookup.addresses(name)));
        } catch (UnknownHostException e) {
            return Resolution.failed(name, Resolution.NOT_FOUND);
        } catch (RuntimeException e) {
            return Resolution.failed(name, "dns-error: " + e.getMessage());
        }
    }
}
