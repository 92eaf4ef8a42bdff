package org.citusrailway.registrar.reconcile;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.citusrailway.registrar.discovery.Addresses;
import org.citusrailway.registrar.timing.Backoff;
import org.citusrailway.registrar.report.Event;
import org.citusrailway.registrar.report.EventLog;
import org.citusrailway.registrar.config.HostPort;
import org.citusrailway.registrar.report.Metrics;
import org.citusrailway.registrar.probe.ProbeFailure;
import org.citusrailway.registrar.discovery.Resolution;

/**
 * Per-worker memory: retry backoff and what was last reported, so the log gets one line per change (found, probe
 * failed and why, added, activated, lost, recovered) instead of one line per name per pass.
 */
public final class WorkerStates {
    private static final Backoff LOST_REMINDERS = new Backoff(Duration.ofSeconds(30), Duration.ofMinutes(30));

    private final Map<HostPort, WorkerState> states = new HashMap<>();
    private final Backoff retry;
    private final Duration lostAfter;
    private final EventLog log;
    private final Metrics metrics;

    public WorkerStates(Duration retryMax, Duration lostAfter, EventLog log, Metrics metrics) {
        this.retry = new Backoff(Duration.ofSeconds(1), retryMax);
        this.lostAfter = lostAfter;
        this.log = log;
        this.metrics = metrics;
    }

    WorkerState get(HostPort key) {
        return states.computeIfAbsent(key, WorkerState::new);
    }

    public WorkerState peek(HostPort key) {
        return states.get(key);
    }

    boolean known(HostPort key) {
        return states.containsKey(key);
    }

    public boolean due(HostPort key, long now) {
        WorkerState s = states.get(key);
        return s == null || now - s.nextAttemptAt >= 0;
    }

    /**
     * An unregistered candidate's lookup result; reports when it appears or disappears. A lookup that got no answer
     * says nothing about the worker (Discovery reports DNS trouble as a whole): what we knew stays.
     */
    void resolved(HostPort key, Resolution resolution) {
        WorkerState s = get(key);
        s.dns = resolution.problem();
        if (resolution.unanswered()) {
            return;
        }
        if (resolution.resolved()) {
            s.addresses = resolution.addresses();
            if (!s.resolvedNow) {
                log.info(Event.WORKER_FOUND, "worker found: " + key + " resolves to " + Addresses.text(s.addresses),
                        "worker", key, "addresses", Addresses.text(s.addresses));
            }
            s.resolvedNow = true;
            return;
        }
        if (s.resolvedNow) {
            log.info(Event.WORKER_VANISHED, "worker vanished: " + key + " no longer resolves", "worker", key);
        }
        s.resolvedNow = false;
        s.addresses = java.util.List.of();
        s.state = CandidateState.ofLookupProblem(resolution.problem());
        s.reason = null;
        s.failures = 0;
        s.nextAttemptAt = 0;
    }

    void probeFailed(HostPort key, ProbeFailure reason, String detail, long now) {
        WorkerState s = get(key);
        metrics.probeFailed(reason);
        if (reason != s.reason) {
            log.warn(Event.PROBE_FAILED, "probe of " + key + " failed: " + reason.id() + (detail == null ? "" : " (" + detail + ")"),
                    "worker", key, "reason", reason.id(), "error", detail);
        }
        s.state = CandidateState.PROBE_FAILED;
        s.reason = reason;
        s.detail = detail;
        s.error(reason.id() + (detail == null ? "" : ": " + detail));
        backOff(s, reason.costly(), now);
    }

    void probePassed(HostPort key) {
        WorkerState s = get(key);
        s.state = CandidateState.READY;
        s.reason = null;
        s.detail = null;
    }

    /** Transient action failures retried at once before they count as costly (backoff). */
    public static final int TRANSIENT_RETRIES = 3;

    /**
     * A failed add/activate. A transient one (the worker is restarting, or refuses the connection) is retried on the
     * next pass without backoff, up to {@link #TRANSIENT_RETRIES} times in a row; returns whether it was treated so.
     */
    public boolean actionFailed(HostPort key, Event event, String verb, String error, boolean transientFailure, long now) {
        WorkerState s = get(key);
        boolean cheap = transientFailure && s.transientActionFailures < TRANSIENT_RETRIES;
        s.transientActionFailures = transientFailure ? s.transientActionFailures + 1 : 0;
        if (!error.equals(s.lastActionError)) {
            log.warn(event, verb + " " + key + " failed: " + error, "worker", key, "error", error);
        }
        s.lastActionError = error;
        s.error(verb + " failed: " + error);
        backOff(s, !cheap, now);
        return cheap;
    }

    void added(HostPort key) {
        WorkerState s = settled(key);
        metrics.registered();
        log.info(Event.WORKER_ADDED, "worker added: " + key, "worker", key);
    }

    void activated(HostPort key) {
        settled(key);
        metrics.activated();
        log.info(Event.WORKER_ACTIVATED, "worker activated: " + key, "worker", key);
    }

    void retired(HostPort key) {
        WorkerState s = get(key);
        s.state = CandidateState.RETIRED;
        if (!s.retiredReported) {
            s.retiredReported = true;
            log.info(Event.WORKER_RETIRED, "worker " + key + " is in citus_registrar.retired_workers; leaving it alone",
                    "worker", key);
        }
    }

    /**
     * A registered worker's liveness, from trying to reach it. It is lost only once its checks have failed for
     * WORKER_LOST_AFTER without a break; then it is reported at growing intervals, never removed.
     */
    public void liveness(HostPort key, boolean alive, String problem, long now) {
        WorkerState s = get(key);
        s.retiredReported = false;
        s.state = CandidateState.REGISTERED;
        if (alive) {
            if (s.lost) {
                log.info(Event.WORKER_RECOVERED, "worker recovered: " + key + " answers again", "worker", key);
            }
            s.lost = false;
            s.failedChecks = 0;
            return;
        }
        s.error(problem);
        if (s.failedChecks++ == 0) {
            s.unreachableSince = now;
        }
        if (!s.lost) {
            if (now - s.unreachableSince < lostAfter.toNanos()) {
                return;
            }
            s.lost = true;
            s.lostReminders = 0;
            s.nextReminderAt = now + LOST_REMINDERS.delay(1).toNanos();
            long seconds = java.util.concurrent.TimeUnit.NANOSECONDS.toSeconds(now - s.unreachableSince);
            log.warn(Event.WORKER_LOST, "worker lost: registered worker " + key + " " + problem + " (" + s.failedChecks
                    + " checks in a row over " + seconds + "s); it stays registered (drain or remove it yourself if it"
                    + " is gone for good)", "worker", key, "error", problem);
        } else if (now - s.nextReminderAt >= 0) {
            s.lostReminders++;
            s.nextReminderAt = now + LOST_REMINDERS.delay(s.lostReminders + 1).toNanos();
            log.warn(Event.WORKER_STILL_LOST, "worker still lost: " + key + " " + problem, "worker", key,
                    "error", problem);
        }
    }

    static final String REINITIALISED_FIX = "its shards are gone: restore the worker's volume from a backup, or"
            + " recreate its shards elsewhere and then remove the node (SELECT citus_remove_node(name, port));"
            + " the registrar does not guess and will not activate it";

    /**
     * A registered worker answers with another Citus server_id than when it was registered. Reported at once and
     * then at growing intervals while it lasts; re-probed with backoff (a volume restored from backup clears it).
     */
    void reinitialised(HostPort key, String recordedId, String currentId, long now) {
        WorkerState s = get(key);
        String problem = "Citus server_id is " + currentId + ", was " + recordedId
                + " when registered: its data directory was wiped and re-initialised";
        s.state = CandidateState.REINITIALISED;
        s.error(problem + "; " + REINITIALISED_FIX);
        backOff(s, true, now);
        boolean first = !s.reinitialisedReported;
        if (first) {
            s.reinitialisedReported = true;
            s.reinitialisedReminders = 0;
        } else if (now - s.nextReinitialisedReminderAt < 0) {
            return;
        } else {
            s.reinitialisedReminders++;
        }
        s.nextReinitialisedReminderAt = now + LOST_REMINDERS.delay(s.reinitialisedReminders + 1).toNanos();
        log.warn(Event.WORKER_REINITIALISED, "worker reinitialised: " + key + " " + problem + "; " + REINITIALISED_FIX,
                "worker", key, "serverId", currentId, "recordedServerId", recordedId);
    }

    /** Its recorded server_id answers again (restored from backup). */
    void identityConfirmed(HostPort key) {
        WorkerState s = states.get(key);
        if (s != null && s.reinitialisedReported) {
            s.reinitialisedReported = false;
            s.failures = 0;
            s.nextAttemptAt = 0;
            s.state = CandidateState.REGISTERED;
        }
    }

    public boolean isLost(HostPort key) {
        WorkerState s = states.get(key);
        return s != null && s.lost;
    }

    private WorkerState settled(HostPort key) {
        WorkerState s = get(key);
        s.state = CandidateState.REGISTERED;
        s.reason = null;
        s.detail = null;
        s.failures = 0;
        s.nextAttemptAt = 0;
        s.lastActionError = null;
        s.transientActionFailures = 0;
        s.lost = false;
        s.failedChecks = 0;
        return s;
    }

    private void backOff(WorkerState s, boolean costly, long now) {
        if (costly) {
            s.failures++;
            s.nextAttemptAt = now + retry.delay(s.failures).toNanos();
        } else {
            s.failures = 0;
            s.nextAttemptAt = now;
        }
    }
}
