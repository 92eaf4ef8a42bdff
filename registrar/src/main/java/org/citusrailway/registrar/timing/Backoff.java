package org.citusrailway.registrar.timing;

import java.time.Duration;

/** Capped exponential backoff: initial, 2×, 4× … up to max. Zero failures means no delay. */
public record Backoff(Duration initial, Duration max) {

    public Duration delay(int failures) {
        if (failures <= 0) {
            return Duration.ZERO;
        }
        int doublings = Math.min(failures - 1, 30);
        long millis = initial.toMillis();
        long delayed = millis << doublings;
        if (delayed >>> doublings != millis || delayed > max.toMillis()) {
            return max;
        }
        return Duration.ofMillis(delayed);
    }

    /**
     * Whether the n-th failure in a row is worth a log line: the 1st, 2nd, 4th, 8th … so a lasting problem is
     * repeated at growing intervals instead of on every pass.
     */
    public static boolean powerOfTwo(int n) {
        return n > 0 && (n & (n - 1)) == 0;
    }
}
