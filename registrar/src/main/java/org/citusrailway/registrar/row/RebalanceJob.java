package org.citusrailway.registrar.row;

import java.time.Instant;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * One row of citus_rebalance_status(): a background rebalance job and how many of its tasks are in which state
 * (Citus task states: blocked, runnable, running, done, error, cancelling, cancelled, unscheduled).
 *
 * @param error the newest error text of a failed or retried task, or null
 */
public record RebalanceJob(long jobId, String state, Instant startedAt, Instant finishedAt, Map<String, Long> taskCounts,
        String error) {

    /** Job states in which Citus may still run tasks; only one such rebalance job can exist. */
    private static final Set<String> ACTIVE = Set.of("scheduled", "running", "cancelling", "failing");

    public boolean active() {
        return ACTIVE.contains(state);
    }

    public boolean finished() {
        return "finished".equals(state);
    }

    public long done() {
        return taskCounts.getOrDefault("done", 0L);
    }

    public long total() {
        long total = 0;
        for (long n : taskCounts.values()) {
            total += n;
        }
        return total;
    }

    /** Parses "done=5,running=1" as written by the status query. */
    public static Map<String, Long> counts(String text) {
        Map<String, Long> counts = new TreeMap<>();
        if (text == null || text.isBlank()) {
            return counts;
        }
        for (String pair : text.split(",")) {
            int eq = pair.indexOf('=');
            if (eq > 0) {
                try {
                    counts.put(pair.substring(0, eq), Long.parseLong(pair.substring(eq + 1).trim()));
                } catch (NumberFormatException ignored) {
                    // a future Citus writing something else: leave the entry out rather than fail the pass
                }
            }
        }
        return counts;
    }
}
