package org.citusrailway.registrar;

import java.time.Duration;

/** Capped exponential backoff: initial, 2×, 4× … up to max. Zero failures means no delay. */
record Backoff(Duration initial, Duration max) {

    Duration delay(int failures) {
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
}
