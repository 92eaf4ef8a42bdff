package org.citusrailway.registrar;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Discovery's scheduling: parallel, bounded, and a hung lookup neither blocks a pass beyond the timeout nor gets
 * started twice. The lookups here are stand-ins that sleep or hang on purpose (a real resolver cannot be made to hang
 * on demand); the JVM's real lookup path is covered by PostgresIntegrationTest.
 */
class DiscoveryTimingTest {
    private static final InetAddress[] LOOPBACK = {InetAddress.getLoopbackAddress()};

    @Test
    void looksUpInParallelButNeverMoreThanEightAtOnce() throws Exception {
        AtomicInteger running = new AtomicInteger();
        AtomicInteger most = new AtomicInteger();
        Discovery discovery = new Discovery(Duration.ofSeconds(5), name -> {
            most.accumulateAndGet(running.incrementAndGet(), Math::max);
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            running.decrementAndGet();
            if (name.startsWith("missing")) {
                throw new UnknownHostException(name);
            }
            return LOOPBACK;
        });
        List<String> names = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            names.add((i % 2 == 0 ? "worker" : "missing") + i + ".railway.internal");
        }
        long start = System.nanoTime();
        Map<String, Resolution> results = discovery.resolve(names);
        long millis = (System.nanoTime() - start) / 1_000_000;

        assertEquals(20, results.size());
        assertTrue(results.get("worker0.railway.internal").resolved());
        assertEquals(Resolution.NOT_FOUND, results.get("missing1.railway.internal").problem());
        assertEquals(Discovery.CONCURRENT_LOOKUPS, most.get(), "at most eight at once, and eight used");
        assertTrue(millis < 1000, "20 lookups of 100 ms took " + millis + " ms: not parallel");
    }

    @Test
    void aHungLookupTimesOutAndIsNotStartedAgainUntilItReturns() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        AtomicInteger hungCalls = new AtomicInteger();
        Discovery discovery = new Discovery(Duration.ofMillis(300), name -> {
            if (name.equals("hung.railway.internal")) {
                hungCalls.incrementAndGet();
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            return LOOPBACK;
        });
        List<String> names = List.of("hung.railway.internal", "worker1.railway.internal");

        long start = System.nanoTime();
        Map<String, Resolution> first = discovery.resolve(names);
        long millis = (System.nanoTime() - start) / 1_000_000;
        assertEquals(Resolution.TIMEOUT, first.get("hung.railway.internal").problem());
        assertTrue(first.get("worker1.railway.internal").resolved());
        assertTrue(millis >= 290 && millis < 1500, "the pass waited " + millis + " ms for a 300 ms timeout");

        Map<String, Resolution> second = discovery.resolve(names);
        assertEquals(Resolution.TIMEOUT, second.get("hung.railway.internal").problem());
        assertTrue(second.get("worker1.railway.internal").resolved());
        assertEquals(1, hungCalls.get(), "the hung lookup was started again");

        release.countDown();
        Await.until(Duration.ofSeconds(5), "hung lookup returns and the name resolves",
                () -> resolves(discovery, "hung.railway.internal"));
        assertEquals(2, hungCalls.get());
    }

    private static boolean resolves(Discovery discovery, String name) {
        try {
            return discovery.resolve(List.of(name)).get(name).resolved();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
