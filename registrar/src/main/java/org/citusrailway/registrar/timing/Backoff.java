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

}
