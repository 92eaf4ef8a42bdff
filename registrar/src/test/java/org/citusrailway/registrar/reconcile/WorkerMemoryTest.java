package org.citusrailway.registrar.reconcile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.citusrailway.registrar.name.HostPort;
import org.citusrailway.registrar.name.Resolution;
import org.citusrailway.registrar.report.Event;
import org.citusrailway.registrar.result.ProbeFailure;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every transition of one worker's memory, as a table: a sequence of steps (each at a time in seconds) → the events
 * said, in order, and where the worker stands after the last step. No PostgreSQL, no clock: time is an input.
 */
class WorkerMemoryTest {
    private static final HostPort W = new HostPort("worker1.railway.internal", 5432);
    private static final WorkerMemory.Rules RULES = WorkerMemory.Rules.of(Duration.ofSeconds(5), Duration.ofSeconds(15));
    private static final long SECOND = 1_000_000_000L;
    private static final long T0 = 1_000 * SECOND;
    private static final Instant AT = Instant.parse("2026-12-02T00:00:00Z");

    /** One step: at {@code seconds}, the transition. */
    private record Step(long seconds, Transition transition) {
    }

    private interface Transition {
        WorkerMemory apply(WorkerMemory memory, long now, List<PassEffect> out);
    }

    private static Step at(long seconds, Transition transition) {
        return new Step(seconds, transition);
    }

    private static Transition down() {
        return (m, now, out) -> m.liveness(false, "does not accept TCP connections", RULES, now, AT, out);
    }

    private static Transition up() {
        return (m, now, out) -> m.liveness(true, null, RULES, now, AT, out);
    }

    private static Transition probeFailed(ProbeFailure reason) {
        return (m, now, out) -> m.probeFailed(reason, null, RULES, now, AT, out);
    }

    private static Transition addFailed(boolean transientFailure) {
        return (m, now, out) -> m.actionFailed(Event.WORKER_ADD_FAILED, "citus_add_node", "terminating",
                transientFailure, RULES, now, AT, out);
    }

    private static Transition resolved(Resolution resolution) {
        return (m, now, out) -> m.resolved(resolution, out);
    }

    private static Transition reinitialised() {
        return (m, now, out) -> m.reinitialised("old-id", "new-id", RULES, now, AT, out);
    }

    private static Transition added() {
        return (m, now, out) -> m.added(out);
    }

    private static Transition confirmed() {
        return (m, now, out) -> m.identityConfirmed();
    }

    private static final Resolution FOUND = new Resolution("worker1.railway.internal",
            List.of(address()), null);
    private static final Resolution GONE = new Resolution("worker1.railway.internal", List.of(), Resolution.NOT_FOUND);
    private static final Resolution TIMEOUT = new Resolution("worker1.railway.internal", List.of(), Resolution.TIMEOUT);

    private static java.net.InetAddress address() {
        try {
            return java.net.InetAddress.getByAddress(new byte[] {10, 0, 0, 1});
        } catch (java.net.UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    static Stream<Arguments> transitions() {
        return Stream.of(
                row("lost only after WORKER_LOST_AFTER of failures without a break",
                        List.of(at(0, down()), at(5, down()), at(14, down())), List.of(), CandidateState.REGISTERED,
                        m -> assertFalse(m.lost())),
                row("one success resets the clock",
                        List.of(at(0, down()), at(5, down()), at(10, up()), at(15, down()), at(25, down())),
                        List.of(), CandidateState.REGISTERED, m -> assertFalse(m.lost())),
                row("lost once, then recovered",
                        List.of(at(0, down()), at(15, down()), at(20, up())),
                        List.of(Event.WORKER_LOST, Event.WORKER_RECOVERED), CandidateState.REGISTERED,
                        m -> assertFalse(m.lost())),
                row("a lost worker is reminded of at growing intervals (30 s, then 1 min)",
                        List.of(at(0, down()), at(15, down()), at(30, down()), at(45, down()), at(60, down()),
                                at(90, down()), at(105, down()), at(165, down())),
                        List.of(Event.WORKER_LOST, Event.WORKER_STILL_LOST, Event.WORKER_STILL_LOST),
                        CandidateState.REGISTERED, m -> assertTrue(m.lost())),
                row("a probe failure is said once per reason, counted every time",
                        List.of(at(0, probeFailed(ProbeFailure.AUTH_FAILED)), at(10, probeFailed(ProbeFailure.AUTH_FAILED)),
                                at(20, probeFailed(ProbeFailure.CITUS_MISSING))),
                        List.of(Event.PROBE_FAILED, Event.PROBE_FAILED), CandidateState.PROBE_FAILED,
                        m -> assertEquals(ProbeFailure.CITUS_MISSING, m.reason())),
                row("a costly probe failure backs off 1 s, 2 s, 4 s",
                        List.of(at(0, probeFailed(ProbeFailure.AUTH_FAILED)), at(1, probeFailed(ProbeFailure.AUTH_FAILED)),
                                at(3, probeFailed(ProbeFailure.AUTH_FAILED))),
                        List.of(Event.PROBE_FAILED), CandidateState.PROBE_FAILED,
                        m -> assertEquals(T0 + 7 * SECOND, m.nextAttemptAt())),
                row("a cheap probe failure (not accepting connections yet) does not back off",
                        List.of(at(0, probeFailed(ProbeFailure.UNREACHABLE)), at(1, probeFailed(ProbeFailure.UNREACHABLE))),
                        List.of(Event.PROBE_FAILED), CandidateState.PROBE_FAILED, m -> assertTrue(m.due(T0 + SECOND))),
                row("transient add failures are retried at once three times, then back off",
                        List.of(at(0, addFailed(true)), at(1, addFailed(true)), at(2, addFailed(true))),
                        List.of(Event.WORKER_ADD_FAILED), CandidateState.NOT_FOUND,
                        m -> assertTrue(m.retrySoon() && m.due(T0 + 2 * SECOND))),
                row("the fourth transient add failure in a row backs off",
                        List.of(at(0, addFailed(true)), at(1, addFailed(true)), at(2, addFailed(true)),
                                at(3, addFailed(true))),
                        List.of(Event.WORKER_ADD_FAILED), CandidateState.NOT_FOUND,
                        m -> assertTrue(!m.retrySoon() && !m.due(T0 + 3 * SECOND) && m.due(T0 + 4 * SECOND))),
                row("a costly add failure backs off at once",
                        List.of(at(0, addFailed(false))), List.of(Event.WORKER_ADD_FAILED), CandidateState.NOT_FOUND,
                        m -> assertTrue(!m.retrySoon() && m.failures() == 1)),
                row("found, vanished, found again: each change said once",
                        List.of(at(0, resolved(FOUND)), at(5, resolved(FOUND)), at(10, resolved(GONE)),
                                at(15, resolved(GONE)), at(20, resolved(FOUND))),
                        List.of(Event.WORKER_FOUND, Event.WORKER_VANISHED, Event.WORKER_FOUND), CandidateState.NOT_FOUND,
                        m -> assertTrue(m.resolvedNow())),
                row("a lookup that got no answer changes nothing",
                        List.of(at(0, resolved(FOUND)), at(5, resolved(TIMEOUT))), List.of(Event.WORKER_FOUND),
                        CandidateState.NOT_FOUND, m -> assertEquals(1, m.addresses().size())),
                row("a reinitialised worker is said at once, then at growing intervals, and backs off",
                        List.of(at(0, reinitialised()), at(10, reinitialised()), at(30, reinitialised()),
                                at(60, reinitialised())),
                        List.of(Event.WORKER_REINITIALISED, Event.WORKER_REINITIALISED), CandidateState.REINITIALISED,
                        m -> assertFalse(m.due(T0 + 60 * SECOND))),
                row("its recorded server_id answering again clears it",
                        List.of(at(0, reinitialised()), at(10, confirmed())), List.of(Event.WORKER_REINITIALISED),
                        CandidateState.REGISTERED, m -> assertTrue(m.due(T0 + 10 * SECOND))),
                row("added: settled, its failures forgotten",
                        List.of(at(0, addFailed(false)), at(10, added())), List.of(Event.WORKER_ADD_FAILED,
                                Event.WORKER_ADDED), CandidateState.REGISTERED,
                        m -> assertTrue(m.failures() == 0 && m.lastActionError() == null)));
    }

    private static Arguments row(String name, List<Step> steps, List<Event> said, CandidateState state,
            java.util.function.Consumer<WorkerMemory> check) {
        return Arguments.of(name, steps, said, state, check);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("transitions")
    void transition(String name, List<Step> steps, List<Event> said, CandidateState state,
            java.util.function.Consumer<WorkerMemory> check) {
        WorkerMemory memory = WorkerMemory.first(W);
        List<PassEffect> out = new ArrayList<>();
        for (Step step : steps) {
            memory = step.transition().apply(memory, T0 + step.seconds() * SECOND, out);
        }
        assertEquals(said, out.stream().filter(e -> e instanceof PassEffect.Log).map(e -> ((PassEffect.Log) e).event())
                .toList(), name);
        assertEquals(state, memory.state(), name);
        check.accept(memory);
    }
}
