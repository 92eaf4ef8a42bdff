package org.citusrailway.registrar.reconcile;

import java.net.InetAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.citusrailway.registrar.name.Addresses;
import org.citusrailway.registrar.name.HostPort;
import org.citusrailway.registrar.name.Resolution;
import org.citusrailway.registrar.report.Event;
import org.citusrailway.registrar.result.ProbeFailure;
import org.citusrailway.registrar.timing.Backoff;
import org.citusrailway.registrar.timing.Throttle;

/**
 * What the registrar remembers about one worker between passes, so the log gets one line per change (found, probe
 * failed and why, added, activated, lost, recovered) instead of one per name per pass. Immutable: each transition
 * returns the next memory and adds the lines and counters it causes to {@code out}. Transitions change fields
 * through {@link Edit}, so a new field is copied in one place.
 *
 * @param state                   where it stands, as /status shows it
 * @param reason                  why its last probe failed, or null
 * @param failures                costly failures in a row: the next attempt waits {@link Rules#retry} for them
 * @param nextAttemptAt           no probe or action before this time (System.nanoTime)
 * @param lastActionError         the last add/activate error said, so the same one is not said twice
 * @param transientActionFailures add/activate failures in a row that only met a restarting or refusing worker
 * @param liveness                a registered worker's reachability
 * @param reinitialised           reminders while it answers with another server_id than when registered
 */
public record WorkerMemory(HostPort key, List<InetAddress> addresses, boolean resolvedNow, CandidateState state,
        ProbeFailure reason, String lastError, Instant lastErrorAt, int failures, long nextAttemptAt,
        String lastActionError, int transientActionFailures, boolean retiredReported, Liveness liveness,
        Throttle reinitialised) {

    static final Backoff REMINDERS = new Backoff(Duration.ofSeconds(30), Duration.ofMinutes(30));
    /** Transient action failures retried at once before they count as costly (backoff). */
    static final int TRANSIENT_RETRIES = 3;
    static final String REINITIALISED_FIX = "its shards are gone: restore the worker's volume from a backup, or"
            + " recreate its shards elsewhere and then remove the node (SELECT citus_remove_node(name, port));"
            + " the registrar does not guess and will not activate it";

    /**
     * @param lost             its checks have failed for WORKER_LOST_AFTER without a break
     * @param failedChecks     failed checks in a row
     * @param unreachableSince when the first of them ran (System.nanoTime)
     */
    public record Liveness(boolean lost, int failedChecks, long unreachableSince, Throttle reminders) {
        static Liveness reachable() {
            return new Liveness(false, 0, 0, Throttle.of(REMINDERS));
        }
    }

    /** The timing rules of the transitions: retry backoff after costly failures, and when a worker counts as lost. */
    public record Rules(Backoff retry, Duration lostAfter) {
        public static Rules of(Duration retryMax, Duration lostAfter) {
            return new Rules(new Backoff(Duration.ofSeconds(1), retryMax), lostAfter);
        }
    }

    static WorkerMemory first(HostPort key) {
        return new WorkerMemory(key, List.of(), false, CandidateState.NOT_FOUND, null, null, null, 0, 0, null, 0,
                false, Liveness.reachable(), Throttle.of(REMINDERS));
    }

    boolean due(long now) {
        return now - nextAttemptAt >= 0;
    }

    boolean lost() {
        return liveness.lost;
    }

    /**
     * An unregistered candidate's lookup. A lookup that got no answer says nothing about the worker (DNS trouble is
     * reported as a whole): what was known stays.
     */
    WorkerMemory resolved(Resolution resolution, List<PassEffect> out) {
        if (resolution.unanswered()) {
            return this;
        }
        if (resolution.resolved()) {
            if (!resolvedNow) {
                out.add(PassEffect.Log.info(Event.WORKER_FOUND, "worker found: " + key + " resolves to "
                        + Addresses.text(resolution.addresses()), "worker", key,
                        "addresses", Addresses.text(resolution.addresses())));
            }
            return edit().lookup(resolution.addresses(), true).done();
        }
        if (resolvedNow) {
            out.add(PassEffect.Log.info(Event.WORKER_VANISHED, "worker vanished: " + key + " no longer resolves",
                    "worker", key));
        }
        return edit().lookup(List.of(), false).standing(CandidateState.ofLookupProblem(resolution.problem()), null)
                .retry(0, 0).done();
    }

    WorkerMemory probeFailed(ProbeFailure why, String detail, Rules rules, long now, Instant at, List<PassEffect> out) {
        out.add(new PassEffect.ProbeFailed(why));
        if (why != reason) {
            out.add(PassEffect.Log.warn(Event.PROBE_FAILED, "probe of " + key + " failed: " + why.id()
                    + (detail == null ? "" : " (" + detail + ")"), "worker", key, "reason", why.id(), "error", detail));
        }
        return edit().standing(CandidateState.PROBE_FAILED, why)
                .error(why.id() + (detail == null ? "" : ": " + detail), at).backedOff(why.costly(), rules, now).done();
    }

    WorkerMemory probePassed() {
        return edit().standing(CandidateState.READY, null).done();
    }

    /**
     * A failed add/activate. A transient one (the worker is restarting, or refuses the connection) is retried on the
     * next pass without backoff, up to {@link #TRANSIENT_RETRIES} times in a row: {@link #retrySoon()} says so.
     */
    WorkerMemory actionFailed(Event event, String verb, String error, boolean transientFailure, Rules rules, long now,
            Instant at, List<PassEffect> out) {
        boolean cheap = transientFailure && transientActionFailures < TRANSIENT_RETRIES;
        if (!error.equals(lastActionError)) {
            out.add(PassEffect.Log.warn(event, verb + " " + key + " failed: " + error, "worker", key, "error", error));
        }
        return edit().actionError(error, transientFailure ? transientActionFailures + 1 : 0)
                .error(verb + " failed: " + error, at).backedOff(!cheap, rules, now).done();
    }

    /** After a transient add/activate failure that is retried on the next pass rather than backed off. */
    boolean retrySoon() {
        return failures == 0 && transientActionFailures > 0;
    }

    WorkerMemory added(List<PassEffect> out) {
        out.add(new PassEffect.Added());
        out.add(PassEffect.Log.info(Event.WORKER_ADDED, "worker added: " + key, "worker", key));
        return settled();
    }

    WorkerMemory activated(List<PassEffect> out) {
        out.add(new PassEffect.Activated());
        out.add(PassEffect.Log.info(Event.WORKER_ACTIVATED, "worker activated: " + key, "worker", key));
        return settled();
    }

    WorkerMemory retired(List<PassEffect> out) {
        if (!retiredReported) {
            out.add(PassEffect.Log.info(Event.WORKER_RETIRED, "worker " + key
                    + " is in citus_registrar.retired_workers; leaving it alone", "worker", key));
        }
        return edit().standing(CandidateState.RETIRED, reason).retiredReported(true).done();
    }

    /**
     * A registered worker's liveness, from trying to reach it. It is lost only once its checks have failed for
     * WORKER_LOST_AFTER without a break; then it is reported at growing intervals, never removed.
     */
    WorkerMemory liveness(boolean alive, String problem, Rules rules, long now, Instant at, List<PassEffect> out) {
        Edit registered = edit().standing(CandidateState.REGISTERED, reason).retiredReported(false);
        if (alive) {
            if (liveness.lost) {
                out.add(PassEffect.Log.info(Event.WORKER_RECOVERED, "worker recovered: " + key + " answers again",
                        "worker", key));
            }
            return registered.liveness(new Liveness(false, 0, liveness.unreachableSince, liveness.reminders)).done();
        }
        long since = liveness.failedChecks == 0 ? now : liveness.unreachableSince;
        int checks = liveness.failedChecks + 1;
        Edit failing = registered.error(problem, at);
        if (!liveness.lost) {
            if (now - since < rules.lostAfter().toNanos()) {
                return failing.liveness(new Liveness(false, checks, since, liveness.reminders)).done();
            }
            long seconds = TimeUnit.NANOSECONDS.toSeconds(now - since);
            out.add(PassEffect.Log.warn(Event.WORKER_LOST, "worker lost: registered worker " + key + " " + problem
                    + " (" + checks + " checks in a row over " + seconds + "s); it stays registered (drain or remove it"
                    + " yourself if it is gone for good)", "worker", key, "error", problem));
            return failing.liveness(new Liveness(true, checks, since, liveness.reminders.reset().fired(now))).done();
        }
        Throttle reminders = liveness.reminders;
        if (reminders.due(now)) {
            reminders = reminders.fired(now);
            out.add(PassEffect.Log.warn(Event.WORKER_STILL_LOST, "worker still lost: " + key + " " + problem,
                    "worker", key, "error", problem));
        }
        return failing.liveness(new Liveness(true, checks, since, reminders)).done();
    }

    /**
     * A registered worker answers with another Citus server_id than when it was registered. Reported at once and
     * then at growing intervals while it lasts; re-probed with backoff (a volume restored from backup clears it).
     */
    WorkerMemory reinitialised(String recordedId, String currentId, Rules rules, long now, Instant at,
            List<PassEffect> out) {
        String problem = "Citus server_id is " + currentId + ", was " + recordedId
                + " when registered: its data directory was wiped and re-initialised";
        Throttle reminders = reinitialised;
        if (reminders.due(now)) {
            reminders = reminders.fired(now);
            out.add(PassEffect.Log.warn(Event.WORKER_REINITIALISED, "worker reinitialised: " + key + " " + problem
                    + "; " + REINITIALISED_FIX, "worker", key, "serverId", currentId, "recordedServerId", recordedId));
        }
        return edit().standing(CandidateState.REINITIALISED, reason).reinitialised(reminders)
                .error(problem + "; " + REINITIALISED_FIX, at).backedOff(true, rules, now).done();
    }

    /** Its recorded server_id answers again (restored from backup). */
    WorkerMemory identityConfirmed() {
        if (!reinitialised.started()) {
            return this;
        }
        return edit().standing(CandidateState.REGISTERED, reason).retry(0, 0).reinitialised(reinitialised.reset())
                .done();
    }

    private WorkerMemory settled() {
        return edit().standing(CandidateState.REGISTERED, null).retry(0, 0).actionError(null, 0)
                .liveness(new Liveness(false, 0, liveness.unreachableSince, liveness.reminders)).done();
    }

    private Edit edit() {
        return new Edit(this);
    }

    /** A copy of a memory to change some fields of, then {@link #done()}; lives only inside one transition. */
    private static final class Edit {
        private final HostPort key;
        private List<InetAddress> addresses;
        private boolean resolvedNow;
        private CandidateState state;
        private ProbeFailure reason;
        private String lastError;
        private Instant lastErrorAt;
        private int failures;
        private long nextAttemptAt;
        private String lastActionError;
        private int transientActionFailures;
        private boolean retiredReported;
        private Liveness liveness;
        private Throttle reinitialised;

        private Edit(WorkerMemory m) {
            key = m.key;
            addresses = m.addresses;
            resolvedNow = m.resolvedNow;
            state = m.state;
            reason = m.reason;
            lastError = m.lastError;
            lastErrorAt = m.lastErrorAt;
            failures = m.failures;
            nextAttemptAt = m.nextAttemptAt;
            lastActionError = m.lastActionError;
            transientActionFailures = m.transientActionFailures;
            retiredReported = m.retiredReported;
            liveness = m.liveness;
            reinitialised = m.reinitialised;
        }

        Edit lookup(List<InetAddress> newAddresses, boolean nowResolved) {
            addresses = List.copyOf(newAddresses);
            resolvedNow = nowResolved;
            return this;
        }

        Edit standing(CandidateState newState, ProbeFailure newReason) {
            state = newState;
            reason = newReason;
            return this;
        }

        Edit error(String text, Instant at) {
            lastError = text;
            lastErrorAt = at;
            return this;
        }

        Edit retry(int newFailures, long newNextAttemptAt) {
            failures = newFailures;
            nextAttemptAt = newNextAttemptAt;
            return this;
        }

        /** A costly failure backs off one step more; a cheap one may be retried now. */
        Edit backedOff(boolean costly, Rules rules, long now) {
            int count = costly ? failures + 1 : 0;
            return retry(count, costly ? now + rules.retry().delay(count).toNanos() : now);
        }

        Edit actionError(String error, int transientFailures) {
            lastActionError = error;
            transientActionFailures = transientFailures;
            return this;
        }

        Edit retiredReported(boolean reported) {
            retiredReported = reported;
            return this;
        }

        Edit liveness(Liveness next) {
            liveness = next;
            return this;
        }

        Edit reinitialised(Throttle reminders) {
            reinitialised = reminders;
            return this;
        }

        WorkerMemory done() {
            return new WorkerMemory(key, addresses, resolvedNow, state, reason, lastError, lastErrorAt, failures,
                    nextAttemptAt, lastActionError, transientActionFailures, retiredReported, liveness, reinitialised);
        }
    }
}
