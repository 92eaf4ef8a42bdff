package org.citusrailway.registrar.timing;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class BackoffTest {
    private final Backoff backoff = new Backoff(Duration.ofMillis(250), Duration.ofSeconds(5));

    @Test
    void noDelayWithoutFailures() {
        assertEquals(Duration.ZERO, backoff.delay(0));
        assertEquals(Duration.ZERO, backoff.delay(-3));
    }

    @Test
    void doublesUpToTheCap() {
        assertEquals(Duration.ofMillis(250), backoff.delay(1));
        assertEquals(Duration.ofMillis(500), backoff.delay(2));
        assertEquals(Duration.ofSeconds(1), backoff.delay(3));
        assertEquals(Duration.ofSeconds(2), backoff.delay(4));
        assertEquals(Duration.ofSeconds(4), backoff.delay(5));
        assertEquals(Duration.ofSeconds(5), backoff.delay(6));
        assertEquals(Duration.ofSeconds(5), backoff.delay(7));
    }

    @Test
    void neverOverflows() {
        assertEquals(Duration.ofSeconds(5), backoff.delay(64));
        assertEquals(Duration.ofSeconds(5), backoff.delay(Integer.MAX_VALUE));
        Backoff huge = new Backoff(Duration.ofDays(365 * 1000L), Duration.ofDays(365 * 2000L));
        assertEquals(Duration.ofDays(365 * 2000L), huge.delay(40));
    }

    @Test
    void capBelowInitialWins() {
        assertEquals(Duration.ofMillis(100), new Backoff(Duration.ofSeconds(1), Duration.ofMillis(100)).delay(1));
    }
}
