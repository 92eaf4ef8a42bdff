package org.citusrailway.registrar.reconcile;

import java.net.InetAddress;
import java.time.Instant;
import java.util.List;
import org.citusrailway.registrar.config.HostPort;
import org.citusrailway.registrar.probe.ProbeFailure;

/** What the registrar remembers about one worker between passes. Touched only by the loop thread. */
public final class WorkerState {
    final HostPort key;
    List<InetAddress> addresses = List.of();
    String dns;
    boolean resolvedNow;
    CandidateState state = CandidateState.NOT_FOUND;
    ProbeFailure reason;
    String detail;
    String lastError;
    Instant lastErrorAt;
    public int failures;
    long nextAttemptAt;
    boolean lost;
    /** Failed reachability checks in a row, and when the first of them ran (System.nanoTime). */
    int failedChecks;
    long unreachableSince;
    int lostReminders;
    long nextReminderAt;
    boolean retiredReported;
    String lastActionError;
    /** Consecutive add/activate failures that only met a restarting or refusing worker (retried without backoff). */
    int transientActionFailures;
    boolean reinitialisedReported;
    int reinitialisedReminders;
    long nextReinitialisedReminderAt;

    WorkerState(HostPort key) {
        this.key = key;
    }

    void error(String text) {
        lastError = text;
        lastErrorAt = Instant.now();
    }
}
