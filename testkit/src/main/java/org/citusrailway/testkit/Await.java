package org.citusrailway.testkit;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * Polls a condition until it holds or the time is up. Fails with a plain AssertionError, which test frameworks report
 * as a failure and the benchmark (no JUnit on its class path) prints as it is.
 */
public final class Await {
    private Await() {
    }

    public static void until(Duration timeout, String what, BooleanSupplier condition) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            try {
                if (condition.getAsBoolean()) {
                    return;
                }
            } catch (RuntimeException e) {
                // not yet
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("within " + timeout.toMillis() + "ms: " + what);
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted waiting for " + what);
            }
        }
    }

    /** Polls until {@code value} gives something other than null, and returns it. */
    public static <T> T value(Duration timeout, String what, Supplier<T> value) {
        List<T> found = new ArrayList<>(1);
        until(timeout, what, () -> {
            T v = value.get();
            if (v == null) {
                return false;
            }
            found.add(v);
            return true;
        });
        return found.getFirst();
    }
}
