package org.citusrailway.registrar.rebalance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.citusrailway.registrar.config.ShardTransferMode;
import org.citusrailway.registrar.name.HostPort;
import org.citusrailway.registrar.rebalance.RebalancePlanner.RebalanceEffect;
import org.citusrailway.registrar.rebalance.RebalancePlanner.RebalanceFacts;
import org.citusrailway.registrar.rebalance.RebalancePlanner.RebalanceState;
import org.citusrailway.registrar.rebalance.RebalancePlanner.StartResult;
import org.citusrailway.registrar.rebalance.RebalancePlanner.Step;
import org.citusrailway.registrar.report.Event;
import org.citusrailway.registrar.row.RebalanceJob;
import org.citusrailway.registrar.timing.Backoff;
import org.citusrailway.registrar.view.Status;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Every decision of the rebalancer, without PostgreSQL: memory and observation in, memory, log lines and start out. */
class RebalancePlannerTest {
    private static final long NOW = 1_000_000_000_000L;
    private static final long SECOND = 1_000_000_000L;
    private static final HostPort W3 = new HostPort("worker3.railway.internal", 5432);
    private static final HostPort W4 = new HostPort("worker4.railway.internal", 5432);
    private static final RebalancePlanner ON_JOIN = new RebalancePlanner(true, ShardTransferMode.AUTO);

    private static RebalanceFacts catalog(List<HostPort> withoutShards, List<String> tables, Set<String> retired,
            List<HostPort> unreachable) {
        return new RebalanceFacts(null, withoutShards, tables, retired, unreachable, Instant.EPOCH);
    }

    private static RebalanceFacts job(RebalanceJob latest) {
        return new RebalanceFacts(latest, List.of(), List.of(), Set.of(), List.of(), Instant.EPOCH);
    }

    private static RebalanceJob job(long id, String state, String counts, String error) {
        return new RebalanceJob(id, state, Instant.EPOCH, Instant.EPOCH.plusSeconds(8), RebalanceJob.counts(counts), error);
    }

    private static List<Event> events(Step step) {
        return step.effects().stream().filter(e -> e instanceof RebalanceEffect.Log).map(e -> ((RebalanceEffect.Log) e).event()).toList();
    }

    record CheckCase(String name, RebalancePlanner planner, RebalanceState memory, RebalanceFacts observed, String phase,
            List<HostPort> startFor, List<Event> logged, long nextCheckInSeconds) {
        @Override
        public String toString() {
            return name;
        }
    }

    static Stream<CheckCase> checks() {
        RebalanceState fresh = RebalanceState.initial();
        RebalanceState doneOnW3 = ON_JOIN.started(fresh, List.of(W3), new StartResult.NoMoves(), NOW - SECOND).memory();
        return Stream.of(
                new CheckCase("no worker lacks shards: idle, next check in a minute", ON_JOIN, fresh,
                        catalog(List.of(), List.of(), Set.of(), List.of()), "idle", null, List.of(), 60),
                new CheckCase("a new worker lacks shards: start for it", ON_JOIN, fresh,
                        catalog(List.of(W3), List.of(), Set.of(), List.of()), "idle", List.of(W3), List.of(), 60),
                new CheckCase("a retired worker lacking shards is no reason", ON_JOIN, fresh,
                        catalog(List.of(W3), List.of(), Set.of(W3.host()), List.of()), "idle", null, List.of(), 60),
                new CheckCase("the same workers a rebalance already ran for: no second start", ON_JOIN, doneOnW3,
                        catalog(List.of(W3), List.of(), Set.of(), List.of()), "idle", null, List.of(), 60),
                new CheckCase("another worker than last time: start again", ON_JOIN, doneOnW3,
                        catalog(List.of(W3, W4), List.of(), Set.of(), List.of()), "idle", List.of(W3, W4), List.of(),
                        60),
                new CheckCase("REBALANCE_ON_JOIN=false: only say it is needed", new RebalancePlanner(false,
                        ShardTransferMode.AUTO), fresh, catalog(List.of(W3), List.of(), Set.of(), List.of()),
                        "needed", null, List.of(Event.REBALANCE_NEEDED), 60),
                new CheckCase("an unreachable worker: wait, check again in 5 s", ON_JOIN, fresh,
                        catalog(List.of(W3), List.of(), Set.of(), List.of(W4)), "waiting", null, List.of(), 5),
                new CheckCase("auto and a table without identity: blocked, retried in 2 s", ON_JOIN, fresh,
                        catalog(List.of(W3), List.of("public.nokey"), Set.of(), List.of()), "blocked", null,
                        List.of(Event.REBALANCE_BLOCKED), 2),
                new CheckCase("block_writes moves a table without identity", new RebalancePlanner(true,
                        ShardTransferMode.BLOCK_WRITES), fresh, catalog(List.of(W3), List.of("public.nokey"), Set.of(),
                        List.of()), "idle", List.of(W3), List.of(), 60),
                new CheckCase("force_logical moves a table without identity", new RebalancePlanner(true,
                        ShardTransferMode.FORCE_LOGICAL), fresh, catalog(List.of(W3), List.of("public.nokey"), Set.of(),
                        List.of()), "idle", List.of(W3), List.of(), 60));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("checks")
    void aDueCheckDecides(CheckCase c) {
        assertTrue(c.planner().needsCatalog(c.memory(), null, NOW), "a due check reads the catalog");
        Step step = c.planner().plan(c.memory(), c.observed(), NOW);
        assertEquals(c.phase(), step.memory().phase().id());
        assertEquals(c.startFor(), step.startFor());
        assertEquals(c.logged(), events(step));
        assertEquals(NOW + c.nextCheckInSeconds() * SECOND, step.memory().nextCheckAt());
        assertFalse(step.memory().checkNow());
    }

    @Test
    void nothingIsReadBetweenChecksUnlessNudged() {
        RebalanceState checked = ON_JOIN.plan(RebalanceState.initial(), catalog(List.of(), List.of(), Set.of(), List.of()), NOW).memory();
        assertFalse(checked.wantsLook(NOW + 59 * SECOND));
        assertTrue(checked.wantsLook(NOW + 60 * SECOND));
        assertTrue(checked.nudged().wantsLook(NOW + SECOND));
    }

    @Test
    void neededIsSaidOncePerSetOfWorkers() {
        RebalancePlanner manual = new RebalancePlanner(false, ShardTransferMode.AUTO);
        RebalanceFacts w3 = catalog(List.of(W3), List.of(), Set.of(), List.of());
        Step first = manual.plan(RebalanceState.initial(), w3, NOW);
        Step again = manual.plan(first.memory(), w3, NOW + 60 * SECOND);
        Step more = manual.plan(again.memory(), catalog(List.of(W3, W4), List.of(), Set.of(), List.of()),
                NOW + 120 * SECOND);
        assertEquals(List.of(Event.REBALANCE_NEEDED), events(first));
        assertEquals(List.of(), events(again));
        assertEquals(List.of(Event.REBALANCE_NEEDED), events(more));
        assertEquals(RebalancePlanner.NEEDED_FIX, more.memory().phase().fix());
    }

    @Test
    void blockedIsRepeatedAtGrowingIntervalsAndBacksOff() {
        RebalanceFacts blocked = catalog(List.of(W3), List.of("public.nokey"), Set.of(), List.of());
        RebalanceState m = RebalanceState.initial();
        StringBuilder logged = new StringBuilder();
        long at = NOW;
        for (int check = 1; check <= 8; check++) {
            Step step = ON_JOIN.plan(m, blocked, at);
            logged.append(events(step).isEmpty() ? '.' : 'L');
            assertEquals(at + new Backoff(java.time.Duration.ofSeconds(2), java.time.Duration.ofSeconds(60))
                    .delay(check).toNanos(), step.memory().nextCheckAt());
            m = step.memory();
            at = m.nextCheckAt();
        }
        assertEquals("LL.L...L", logged.toString(), "checks 1, 2, 4, 8");
        assertEquals(List.of("public.nokey"), ON_JOIN.view(m).blockedTables());
        assertTrue(ON_JOIN.view(m).fix().contains("REBALANCE_TRANSFER_MODE=block_writes"));
        // Fixed: the next check starts it, and the blocked state is forgotten.
        Step fixed = ON_JOIN.plan(m, catalog(List.of(W3), List.of(), Set.of(), List.of()), at);
        assertEquals(List.of(W3), fixed.startFor());
        RebalanceState started = ON_JOIN.started(fixed.memory(), List.of(W3), new StartResult.Job(7), at).memory();
        assertEquals(List.of(), started.blockedTables());
        assertEquals(0, started.blockedChecks());
    }

    @Test
    void eachAnswerToAStart() {
        RebalanceState asked = ON_JOIN.plan(RebalanceState.initial(), catalog(List.of(W3), List.of(), Set.of(), List.of()), NOW)
                .memory();

        Step job = ON_JOIN.started(asked, List.of(W3), new StartResult.Job(12), NOW);
        assertEquals("running", job.memory().phase().id());
        assertEquals(12L, job.memory().following());
        assertTrue(job.memory().checkNow(), "followed from the next pass");
        assertEquals(List.of(Event.REBALANCE_STARTED), events(job));
        assertTrue(job.effects().contains(new RebalanceEffect.Started()));
        RebalanceEffect.Log line = (RebalanceEffect.Log) job.effects().stream().filter(e -> e instanceof RebalanceEffect.Log).findFirst()
                .orElseThrow();
        assertTrue(line.fields().containsAll(List.of("transferMode", "auto", "startedBy", "registrar")), line.toString());

        Step none = ON_JOIN.started(asked, List.of(W3), new StartResult.NoMoves(), NOW);
        assertEquals("idle", none.memory().phase().id());
        assertEquals(List.of(W3), none.memory().doneFor());
        assertEquals(List.of(Event.REBALANCE_FINISHED), events(none));

        Step elsewhere = ON_JOIN.started(asked, List.of(W3), new StartResult.AlreadyRunning(), NOW);
        assertTrue(elsewhere.memory().checkNow());
        assertNull(elsewhere.memory().following());
        assertEquals(List.of(), elsewhere.effects());

        Step noIdentity = ON_JOIN.started(asked, List.of(W3), new StartResult.NoIdentity("public.nokey"), NOW);
        assertEquals("blocked", noIdentity.memory().phase().id());
        assertEquals(List.of("public.nokey"), noIdentity.memory().blockedTables());

        Step refused = ON_JOIN.started(asked, List.of(W3), new StartResult.Refused("permission denied"), NOW);
        assertEquals("failed", refused.memory().phase().id());
        assertEquals("permission denied", refused.memory().phase().error());
        assertEquals(NOW + 15 * SECOND, refused.memory().nextCheckAt());
        assertEquals(List.of(Event.REBALANCE_FAILED), events(refused));
    }

    @Test
    void aJobIsFollowedToItsEnd() {
        RebalanceState running = ON_JOIN.started(RebalanceState.initial(), List.of(W3), new StartResult.Job(12), NOW).memory();
        assertFalse(ON_JOIN.needsCatalog(running, job(12, "running", "done=1,running=2", null), NOW));

        Step progress = ON_JOIN.plan(running, job(job(12, "running", "done=1,running=2", null)), NOW + SECOND);
        assertEquals(List.of(Event.REBALANCE_PROGRESS), events(progress));
        assertEquals("job 12 running: 1/3 tasks done", progress.memory().phase().detail());
        Step same = ON_JOIN.plan(progress.memory(), job(job(12, "running", "done=1,running=2", null)), NOW + 2 * SECOND);
        assertEquals(List.of(), events(same), "no new line until the count changes or 10 s pass");
        Step later = ON_JOIN.plan(same.memory(), job(job(12, "running", "done=1,running=2", null)), NOW + 12 * SECOND);
        assertEquals(List.of(Event.REBALANCE_PROGRESS), events(later));

        RebalanceJob finished = job(12, "finished", "done=3", null);
        assertTrue(ON_JOIN.needsCatalog(later.memory(), finished, NOW + 13 * SECOND), "more may be owed");
        Step done = ON_JOIN.plan(later.memory(), new RebalanceFacts(finished, List.of(), List.of(), Set.of(), List.of(),
                Instant.EPOCH), NOW + 13 * SECOND);
        assertEquals(List.of(Event.REBALANCE_FINISHED), events(done));
        assertEquals("idle", done.memory().phase().id());
        assertNull(done.memory().following());
        assertEquals("finished", ON_JOIN.view(done.memory()).jobState());
        assertEquals(3, ON_JOIN.view(done.memory()).tasksDone());
    }

    @Test
    void aJobStartedByOthersIsFollowedNotDoubled() {
        Step step = ON_JOIN.plan(RebalanceState.initial(), job(job(5, "running", "running=1,blocked=4", null)), NOW);
        assertEquals(List.of(Event.REBALANCE_STARTED, Event.REBALANCE_PROGRESS), events(step));
        assertNull(step.startFor());
        assertEquals(5L, step.memory().following());
        RebalanceEffect.Log line = (RebalanceEffect.Log) step.effects().get(0);
        assertTrue(line.fields().containsAll(List.of("startedBy", "other")));
    }

    @Test
    void aCancelledJobIsNotRestartedAndAFailedOneIsRetried() {
        RebalanceState running = ON_JOIN.started(RebalanceState.initial(), List.of(W3), new StartResult.Job(12), NOW).memory();

        Step cancelled = ON_JOIN.plan(running, job(job(12, "cancelled", "done=1,cancelled=2", null)), NOW);
        assertEquals("idle", cancelled.memory().phase().id());
        assertTrue(cancelled.effects().contains(new RebalanceEffect.Failed()));
        assertEquals(List.of(Event.REBALANCE_FAILED), events(cancelled));
        assertEquals(NOW + 60 * SECOND, cancelled.memory().nextCheckAt());
        assertEquals(List.of(W3), cancelled.memory().doneFor(), "not restarted for the same workers");

        Step failed = ON_JOIN.plan(running, job(job(12, "failed", "done=1,error=1", "could not connect")), NOW);
        assertEquals("failed", failed.memory().phase().id());
        assertEquals("could not connect", failed.memory().phase().error());
        assertNull(failed.memory().doneFor(), "retried for the same workers");
        assertEquals(NOW + 15 * SECOND, failed.memory().nextCheckAt());
        assertTrue(failed.effects().contains(new RebalanceEffect.Failed()));
    }

    @Test
    void aFailedReadBacksOffInsteadOfRetryingEveryPass() {
        Step first = ON_JOIN.checkFailed(RebalanceState.initial(), "canceling statement due to statement timeout", NOW);
        assertEquals("failed", first.memory().phase().id());
        assertFalse(first.memory().wantsLook(NOW + 14 * SECOND));
        assertTrue(first.memory().wantsLook(NOW + 15 * SECOND));
        Step second = ON_JOIN.checkFailed(first.memory(), "again", NOW + 15 * SECOND);
        assertEquals(NOW + 45 * SECOND, second.memory().nextCheckAt());
        assertEquals(List.of(Event.REBALANCE_FAILED), events(second), "2nd failure: a power of two");
        Step third = ON_JOIN.checkFailed(second.memory(), "again", NOW + 45 * SECOND);
        assertEquals(List.of(), events(third));
    }

    @Test
    void theViewShowsModeStateAndCounts() {
        RebalanceState running = ON_JOIN.started(RebalanceState.initial(), List.of(W3), new StartResult.Job(12), NOW).memory();
        Step progress = ON_JOIN.plan(running, job(job(12, "running", "done=2,running=4,blocked=4", null)), NOW);
        Status.Rebalance view = ON_JOIN.view(progress.memory());
        assertEquals("auto", view.transferMode());
        assertEquals("running", view.state());
        assertEquals(12L, view.jobId());
        assertEquals(Map.of("done", 2L, "running", 4L, "blocked", 4L), view.tasks());
        assertEquals(10, view.tasksTotal());
    }
}
