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
 * returns the next memory and adds the lines and counters it causes to {@code out}.
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
            return with(resolution.addresses(), true, state, reason, failures, nextAttemptAt);
        }
        if (resolvedNow) {
            out.add(PassEffect.Log.info(Event.WORKER_VANISHED, "worker vanished: " + key + " no longer resolves",
                    "worker", key));
        }
        return with(List.of(), false, CandidateState.ofLookupProblem(resolution.problem()), null, 0, 0);
    }

    WorkerMemory probeFailed(ProbeFailure why, String detail, Rules rules, long now, Instant at, List<PassEffect> out) {
        out.add(new PassEffect.ProbeFailed(why));
        if (why != reason) {
            out.add(PassEffect.Log.warn(Event.PROBE_FAILED, "probe of " + key + " failed: " + why.id()
                    + (detail == null ? "" : " (" + detail + ")"), "worker", key, "reason", why.id(), "error", detail));
        }
        return with(addresses, resolvedNow, CandidateState.PROBE_FAILED, why, failures, nextAttemptAt)
                .error(why.id() + (detail == null ? "" : ": " + detail), at).backedOff(why.costly(), rules, now);
    }

    WorkerMemory probePassed() {
        return with(addresses, resolvedNow, CandidateState.READY, null, failures, nextAttemptAt);
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
        WorkerMemory next = new WorkerMemory(key, addresses, resolvedNow, state, reason, lastError, lastErrorAt,
                failures, nextAttemptAt, error, transientFailure ? transientActionFailures + 1 : 0, retiredReported,
                liveness, reinitialised);
        return next.error(verb + " failed: " + error, at).backedOff(!cheap, rules, now);
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
            out.add(PassEffect.Log.info(Event.WORKER_RETIRED, "worker " + key + " is in citus_registrar.retired_workers;"
                    + " leaving it alone", "worker", key));
        }
        return new WorkerMemory(key, addresses, resolvedNow, CandidateState.RETIRED, reason, lastError, lastErrorAt,
                failures, nextAttemptAt, lastActionError, transientActionFailures, true, liveness, reinitialised);
    }

    /**
     * A registered worker's liveness, from trying to reach it. It is lost only once its checks have failed for
     * WORKER_LOST_AFTER without a break; then it is reported at growing intervals, never removed.
     */
    WorkerMemory liveness(boolean alive, String problem, Rules rules, long now, Instant at, List<PassEffect> out) {
        WorkerMemory registered = new WorkerMemory(key, addresses, resolvedNow, CandidateState.REGISTERED, reason,
                lastError, lastErrorAt, failures, nextAttemptAt, lastActionError, transientActionFailures, false,
                liveness, reinitialised);
        if (alive) {
            if (liveness.lost) {
                out.add(PassEffect.Log.info(Event.WORKER_RECOVERED, "worker recovered: " + key + " answers again",
                        "worker", key));
            }
            return registered.withLiveness(new Liveness(false, 0, liveness.unreachableSince, liveness.reminders));
        }
        long since = liveness.failedChecks == 0 ? now : liveness.unreachableSince;
        int checks = liveness.failedChecks + 1;
        WorkerMemory failing = registered.error(problem, at);
        if (!liveness.lost) {
            if (now - since < rules.lostAfter().toNanos()) {
                return failing.withLiveness(new Liveness(false, checks, since, liveness.reminders));
            }
            long seconds = TimeUnit.NANOSECONDS.toSeconds(now - since);
            out.add(PassEffect.Log.warn(Event.WORKER_LOST, "worker lost: registered worker " + key + " " + problem + " ("
                    + checks + " checks in a row over " + seconds + "s); it stays registered (drain or remove it"
                    + " yourself if it is gone for good)", "worker", key, "error", problem));
            return failing.withLiveness(new Liveness(true, checks, since, liveness.reminders.reset().fired(now)));
        }
        Throttle reminders = liveness.reminders;
        if (reminders.due(now)) {
            reminders = reminders.fired(now);
            out.add(PassEffect.Log.warn(Event.WORKER_STILL_LOST, "worker still lost: " + key + " " + problem,
                    "worker", key, "error", problem));
        }
        return failing.withLiveness(new Liveness(true, checks, since, reminders));
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
            out.add(PassEffect.Log.warn(Event.WORKER_REINITIALISED, "worker reinitialised: " + key + " " + problem + "; "
                    + REINITIALISED_FIX, "worker", key, "serverId", currentId, "recordedServerId", recordedId));
        }
        WorkerMemory next = new WorkerMemory(key, addresses, resolvedNow, CandidateState.REINITIALISED, reason,
                lastError, lastErrorAt, failures, nextAttemptAt, lastActionError, transientActionFailures,
                retiredReported, liveness, reminders);
        return next.error(problem + "; " + REINITIALISED_FIX, at).backedOff(true, rules, now);
    }

    /** Its recorded server_id answers again (restored from backup). */
    WorkerMemory identityConfirmed() {
        if (!reinitialised.started()) {
            return this;
        }
        return new WorkerMemory(key, addresses, resolvedNow, CandidateState.REGISTERED, reason, lastError,
                lastErrorAt, 0, 0, lastActionError, transientActionFailures, retiredReported, liveness,
                reinitialised.reset());
    }

    private WorkerMemory settled() {
        return new WorkerMemory(key, addresses, resolvedNow, CandidateState.REGISTERED, null, lastError, lastErrorAt,
                0, 0, null, 0, retiredReported, new Liveness(false, 0, liveness.unreachableSince, liveness.reminders),
                reinitialised);
    }

    private WorkerMemory backedOff(boolean costly, Rules rules, long now) {
        int count = costly ? failures + 1 : 0;
        long next = costly ? now + rules.retry().delay(count).toNanos() : now;
        return new WorkerMemory(key, addresses, resolvedNow, state, reason, lastError, lastErrorAt, count, next,
                lastActionError, transientActionFailures, retiredReported, liveness, reinitialised);
    }

    private WorkerMemory error(String text, Instant at) {
        return new WorkerMemory(key, addresses, resolvedNow, state, reason, text, at, failures, nextAttemptAt,
                lastActionError, transientActionFailures, retiredReported, liveness, reinitialised);
    }

    private WorkerMemory with(List<InetAddress> newAddresses, boolean nowResolved, CandidateState newState,
            ProbeFailure newReason, int newFailures, long newNextAttemptAt) {
        return new WorkerMemory(key, List.copyOf(newAddresses), nowResolved, newState, newReason, lastError,
                lastErrorAt, newFailures, newNextAttemptAt, lastActionError, transientActionFailures, retiredReported,
                liveness, reinitialised);
    }

    private WorkerMemory withLiveness(Liveness next) {
        return new WorkerMemory(key, addresses, resolvedNow, state, reason, lastError, lastErrorAt, failures,
                nextAttemptAt, lastActionError, transientActionFailures, retiredReported, next, reinitialised);
    }
}
