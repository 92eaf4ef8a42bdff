package org.citusrailway.registrar.timing;

/**
 * When to say a lasting problem again: the one rule for repeated messages. By time ({@link #due}/{@link #fired}):
 * the first time at once, then after each step of a {@link Backoff} (30 s, 1 min, 2 min … for a lost worker). By
 * count ({@link #onDoubling}): the 1st, 2nd, 4th, 8th … failure in a row. Immutable.
 *
 * @param fired  how many times the message was said since the problem began (0: not yet)
 * @param nextAt when it may be said again (System.nanoTime), once fired
 */
public record Throttle(Backoff schedule, int fired, long nextAt) {

    public static Throttle of(Backoff schedule) {
        return new Throttle(schedule, 0, 0);
    }

    /** Whether the message is due: never said yet, or its next time has come. */
    public boolean due(long now) {
        return fired == 0 || now - nextAt >= 0;
    }

    /** Said now: the next time is one backoff step further. */
    public Throttle fired(long now) {
        return new Throttle(schedule, fired + 1, now + schedule.delay(fired + 1).toNanos());
    }

    /** The problem ended: the next one is said at once. */
    public Throttle reset() {
        return of(schedule);
    }

    public boolean started() {
        return fired > 0;
    }

    /** Whether the n-th failure in a row is worth a line: the 1st, 2nd, 4th, 8th … */
    public static boolean onDoubling(int n) {
        return n > 0 && (n & (n - 1)) == 0;
    }
}
