package org.citusrailway.registrar.reconcile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.citusrailway.registrar.name.HostPort;
import org.citusrailway.registrar.name.Resolution;
import org.citusrailway.registrar.probe.ReadinessWatch;
import org.citusrailway.registrar.report.Event;
import org.citusrailway.registrar.result.ProbeFailure;
import org.citusrailway.registrar.result.ProbeResult;
import org.citusrailway.registrar.row.KnownWorkerRow;
import org.citusrailway.registrar.row.NodeRow;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The planner's decision table: each row is a world (pg_dist_node, the registrar's tables, DNS, probes, what is
 * remembered, how the writes went) → the workers probed, the writes planned, the events said. No PostgreSQL.
 */
class PlannerTest {
    private static final HostPort COORDINATOR = new HostPort("coordinator.railway.internal", 5432);
    private static final HostPort W1 = new HostPort("worker1.railway.internal", 5432);
    private static final HostPort W2 = new HostPort("worker2.railway.internal", 5432);
    private static final HostPort W3 = new HostPort("worker3.railway.internal", 5432);
    private static final String VERSION = "13.2-1";
    private static final long NOW = 1_000_000_000_000L;
    private static final Instant AT = Instant.parse("2026-12-02T00:00:00Z");
    private static final WorkerMemory.Rules RULES = WorkerMemory.Rules.of(Duration.ofSeconds(5), Duration.ofSeconds(15));
    private static final List<HostPort> CANDIDATES = List.of(W1, W2, W3);
    private static final Planner PLANNER = new Planner(CANDIDATES, RULES);

    /** A world to plan for; rows change it from "a coordinator with its row, no worker resolving". */
    static final class World {
        final List<NodeRow> nodes = new ArrayList<>(List.of(new NodeRow(1, 0, COORDINATOR.host(), 5432, true,
                "primary", true, false)));
        final Set<String> retired = new HashSet<>();
        final Map<String, Resolution> resolutions = new HashMap<>();
        final Map<HostPort, ProbeResult> probes = new HashMap<>();
        final Map<HostPort, Boolean> alive = new HashMap<>();
        final Map<HostPort, ProbeResult> verified = new HashMap<>();
        final Map<HostPort, KnownWorkerRow> known = new HashMap<>();
        final Map<HostPort, WorkerMemory> workers = new HashMap<>();
        final Map<Class<? extends Action>, String> failures = new HashMap<>();
        List<ReadinessWatch.Target> watched = List.of();
        boolean transientFailure;
        String restoredTo;
        HostPort triggeredBy;

        World() {
            for (HostPort worker : List.of(W1, W2, W3)) {
                resolutions.put(worker.host(), new Resolution(worker.host(), List.of(), Resolution.NOT_FOUND));
            }
        }

        World registered(HostPort worker, boolean active) {
            nodes.add(new NodeRow(nodes.size() + 1, nodes.size() + 1, worker.host(), worker.port(), active, "primary",
                    active, true));
            return resolves(worker);
        }

        World resolves(HostPort worker) {
            resolutions.put(worker.host(), new Resolution(worker.host(), List.of(address(worker)), null));
            return this;
        }

        World lookup(HostPort worker, String problem) {
            resolutions.put(worker.host(), new Resolution(worker.host(), List.of(), problem));
            return this;
        }

        World ready(HostPort worker, String serverId) {
            resolves(worker);
            probes.put(worker, new ProbeResult.Reached(VERSION, serverId, null));
            return this;
        }

        World probed(HostPort worker, ProbeResult result) {
            resolves(worker);
            probes.put(worker, result);
            return this;
        }

        World known(HostPort worker, String serverId) {
            known.put(worker, new KnownWorkerRow(serverId, null));
            return this;
        }

        World remembering(WorkerMemory memory) {
            workers.put(memory.key(), memory);
            return this;
        }

        World failing(Class<? extends Action> kind, String error, boolean isTransient) {
            failures.put(kind, error);
            transientFailure = isTransient;
            return this;
        }

        LeaderState memory() {
            KnownWorkers table = KnownWorkers.loaded(known);
            for (HostPort worker : known.keySet()) {
                if (!verified.containsKey(worker) && alive.get(worker) != null) {
                    table = table.compared(worker, known.get(worker).serverId()); // verified earlier this leadership
                }
            }
            return new LeaderState(Map.copyOf(workers), table, Set.of(), watched);
        }

        Snapshot snapshot() {
            Map<HostPort, String> ids = new HashMap<>();
            known.forEach((worker, row) -> ids.put(worker, row.serverId()));
            return new Snapshot(NOW, AT, COORDINATOR, VERSION, "coordinator-id", restoredTo, List.copyOf(nodes),
                    Set.copyOf(retired), Map.copyOf(resolutions), Map.copyOf(probes), Map.copyOf(alive),
                    Map.copyOf(verified), ids, triggeredBy);
        }
    }

    private static InetAddress address(HostPort worker) {
        try {
            return InetAddress.getByAddress(worker.host(), new byte[] {10, 0, 0, (byte) worker.host().charAt(6)});
        } catch (java.net.UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    /** What the planner made of a world: every step of one pass. */
    record Result(Targets targets, List<HostPort> identityChecks, Plan plan, Plan.Settled settled) {
        List<Event> events() {
            List<Event> events = new ArrayList<>();
            Stream.concat(plan.effects().stream(), settled.effects().stream()).forEach(effect -> {
                if (effect instanceof PassEffect.Log line) {
                    events.add(line.event());
                }
            });
            return events;
        }

        boolean counted(Class<? extends PassEffect> kind) {
            return Stream.concat(plan.effects().stream(), settled.effects().stream()).anyMatch(kind::isInstance);
        }

        List<ReadinessWatch.Mode> watchModes() {
            return settled.memory().watch().stream().map(ReadinessWatch.Target::mode).toList();
        }
    }

    static Result run(World world) {
        LeaderState memory = world.memory();
        Snapshot s = world.snapshot();
        Targets targets = Targets.of(CANDIDATES, s.nodes(), s.retired(), s.resolutions(), memory, NOW);
        List<HostPort> identityChecks = targets.identityChecks(s.alive(), memory, NOW);
        Plan plan = PLANNER.plan(s, memory);
        List<Plan.Outcome> outcomes = new ArrayList<>();
        for (Action action : plan.actions()) {
            if (Plan.skipped(action, outcomes)) {
                continue;
            }
            String error = world.failures.get(action.getClass());
            outcomes.add(error == null ? new Plan.Outcome.Applied(action)
                    : new Plan.Outcome.Failed(action, error, world.transientFailure));
        }
        return new Result(targets, identityChecks, plan, plan.settle(outcomes, s.nodes(), NOW, AT));
    }

    static Stream<Arguments> decisions() {
        return Stream.of(
                // which workers are probed
                row("a candidate that resolves is probed; those that do not are not",
                        w -> w.resolves(W1), List.of(), List.of(Event.WORKER_FOUND),
                        r -> assertEquals(List.of(W1), r.targets().probe())),
                row("a retired candidate is not probed and is said to be left alone once",
                        w -> w.resolves(W1).retired.add(W1.host()), List.of(),
                        List.of(Event.WORKER_FOUND, Event.WORKER_RETIRED),
                        r -> assertEquals(List.of(), r.targets().probe())),
                row("a candidate backing off after a costly failure is not probed",
                        w -> w.resolves(W1).remembering(WorkerMemory.first(W1).probeFailed(ProbeFailure.AUTH_FAILED,
                                null, RULES, NOW - 1, AT, new ArrayList<>())), List.of(), List.of(Event.WORKER_FOUND),
                        r -> assertEquals(List.of(), r.targets().probe())),
                row("an inactive registered worker is probed; an active one gets a TCP check",
                        w -> w.registered(W1, false).registered(W2, true), List.of(), List.of(),
                        r -> {
                            assertEquals(List.of(W1), r.targets().probe());
                            assertEquals(List.of(W2), r.targets().check().stream().map(NodeRow::key).toList());
                        }),
                row("an active worker that answers and was not compared this leadership gets an identity probe",
                        w -> {
                            w.registered(W1, true).registered(W2, true).registered(W3, true).known(W2, "id-2");
                            w.alive.put(W1, true);
                            w.alive.put(W2, true);
                            w.alive.put(W3, false);
                        }, List.of(), List.of(),
                        r -> assertEquals(List.of(W1), r.identityChecks())),
                // what is written
                row("a ready candidate is added and its server_id recorded once it is",
                        w -> w.ready(W1, "id-1"),
                        List.of(new Action.AddNode(W1), new Action.RememberWorker(W1, "id-1")),
                        List.of(Event.WORKER_FOUND, Event.WORKER_ADDED),
                        r -> {
                            assertEquals("id-1", r.settled().memory().known().recordedId(W1));
                            assertTrue(r.settled().nudgeRebalance() && r.counted(PassEffect.Added.class));
                        }),
                row("a missing coordinator row is set first",
                        w -> {
                            w.nodes.clear();
                            w.ready(W1, "id-1");
                        }, List.of(new Action.SetCoordinatorHost(COORDINATOR), new Action.AddNode(W1),
                                new Action.RememberWorker(W1, "id-1")),
                        List.of(Event.WORKER_FOUND, Event.COORDINATOR_HOST_SET, Event.WORKER_ADDED), r -> { }),
                row("a known worker removed by hand while it resolves is retired, not re-added",
                        w -> w.known(W2, "id-2").ready(W2, "id-2"), List.of(new Action.RetireRemovedWorker(W2)),
                        List.of(Event.WORKER_REMOVED_BY_USER, Event.WORKER_FOUND, Event.WORKER_RETIRED),
                        r -> {
                            assertEquals(List.of(), r.targets().probe(), "not probed: retired in the same pass");
                            assertTrue(r.plan().retired().contains(W2.host()) && r.counted(PassEffect.RemovedByUser.class));
                        }),
                row("a known worker that left pg_dist_node and no longer resolves is forgotten",
                        w -> w.known(W2, "id-2"), List.of(new Action.ForgetWorker(W2)), List.of(Event.WORKER_FORGOTTEN),
                        r -> assertTrue(!r.settled().memory().known().knows(W2))),
                row("a known worker whose lookup timed out: nothing is decided",
                        w -> w.known(W2, "id-2").lookup(W2, Resolution.TIMEOUT), List.of(), List.of(),
                        r -> assertTrue(r.settled().memory().known().knows(W2))),
                row("a retired known worker that left pg_dist_node is forgotten",
                        w -> {
                            w.known(W2, "id-2").resolves(W2).retired.add(W2.host());
                        }, List.of(new Action.ForgetWorker(W2)),
                        List.of(Event.WORKER_FORGOTTEN, Event.WORKER_FOUND, Event.WORKER_RETIRED),
                        r -> assertTrue(!r.settled().memory().known().knows(W2))),
                row("a registered worker the table does not know is recorded when its identity is compared",
                        w -> {
                            w.registered(W1, true).alive.put(W1, true);
                            w.verified.put(W1, new ProbeResult.Reached(VERSION, "id-1", null));
                        }, List.of(new Action.RememberWorker(W1, "id-1")), List.of(), r -> { }),
                row("a worker answering with another server_id is reinitialised: said, never activated",
                        w -> w.registered(W1, false).known(W1, "id-1").probed(W1,
                                new ProbeResult.Reached(VERSION, "other-id", null)),
                        List.of(), List.of(Event.WORKER_REINITIALISED),
                        r -> assertTrue(r.settled().memory().known().isReinitialised(W1))),
                row("an inactive worker that probes healthy is activated",
                        w -> w.registered(W1, false).known(W1, "id-1").ready(W1, "id-1"),
                        List.of(new Action.ActivateNode(W1, W1.host())), List.of(Event.WORKER_ACTIVATED),
                        r -> assertTrue(r.counted(PassEffect.Activated.class))),
                row("a candidate with another citus version is refused, and the coordinator's version read again",
                        w -> w.probed(W1, new ProbeResult.Reached("13.1-1", "id-1", null)), List.of(),
                        List.of(Event.WORKER_FOUND, Event.PROBE_FAILED),
                        r -> assertTrue(r.plan().rereadCoordinator())),
                row("an active worker restored to another point than the coordinator is disabled",
                        w -> {
                            w.restoredTo = "citus-1";
                            w.registered(W1, true).known(W1, "id-1").alive.put(W1, true);
                            w.verified.put(W1, new ProbeResult.Reached(VERSION, "id-1", "citus-2"));
                        }, List.of(new Action.DisableNode(W1, W1.host())), List.of(Event.WORKER_RESTORE_MISMATCH),
                        r -> assertTrue(r.settled().nudgeRebalance())),
                row("a disable Citus refuses is said once and remembered",
                        w -> {
                            w.restoredTo = "citus-1";
                            w.registered(W1, true).known(W1, "id-1").alive.put(W1, true);
                            w.verified.put(W1, new ProbeResult.Reached(VERSION, "id-1", "citus-2"));
                            w.failing(Action.DisableNode.class, "cannot disable", false);
                        }, List.of(new Action.DisableNode(W1, W1.host())), List.of(Event.WORKER_DISABLE_FAILED),
                        r -> assertEquals(Set.of(W1), r.settled().memory().disableRefused())),
                // what follows from how the writes went
                row("a transient add failure is retried at the next pass and watched by TCP meanwhile",
                        w -> w.ready(W1, "id-1").failing(Action.AddNode.class, "terminating", true),
                        List.of(new Action.AddNode(W1), new Action.RememberWorker(W1, "id-1")),
                        List.of(Event.WORKER_FOUND, Event.WORKER_ADD_FAILED),
                        r -> {
                            assertEquals(List.of(ReadinessWatch.Mode.TCP), r.watchModes());
                            assertNull(r.settled().memory().known().recordedId(W1), "not added, so not recorded");
                        }),
                row("a costly add failure backs off and is not watched",
                        w -> w.ready(W1, "id-1").failing(Action.AddNode.class, "permission denied", false),
                        List.of(new Action.AddNode(W1), new Action.RememberWorker(W1, "id-1")),
                        List.of(Event.WORKER_FOUND, Event.WORKER_ADD_FAILED),
                        r -> assertEquals(List.of(), r.watchModes())),
                row("a server that is starting up is watched by probing",
                        w -> w.probed(W1, new ProbeResult.Failed(ProbeFailure.STARTING_UP, null)), List.of(),
                        List.of(Event.WORKER_FOUND, Event.PROBE_FAILED),
                        r -> assertEquals(List.of(ReadinessWatch.Mode.PROBE), r.watchModes())),
                row("one that refuses connections is watched by TCP, unless it just triggered this pass",
                        w -> {
                            w.probed(W1, new ProbeResult.Failed(ProbeFailure.UNREACHABLE, null));
                            w.probed(W2, new ProbeResult.Failed(ProbeFailure.UNREACHABLE, null));
                            w.triggeredBy = W2;
                        }, List.of(), List.of(Event.WORKER_FOUND, Event.WORKER_FOUND, Event.PROBE_FAILED,
                                Event.PROBE_FAILED),
                        r -> assertEquals(List.of(ReadinessWatch.Mode.TCP, ReadinessWatch.Mode.PROBE), r.watchModes())),
                row("one that just came up without citus yet is watched slowly",
                        w -> {
                            w.probed(W1, new ProbeResult.Reached(null, "id-1", null));
                            w.watched = List.of(new ReadinessWatch.Target(W1, List.of(address(W1)),
                                    ReadinessWatch.Mode.TCP));
                        }, List.of(), List.of(Event.WORKER_FOUND, Event.PROBE_FAILED),
                        r -> assertEquals(List.of(ReadinessWatch.Mode.SLOW_PROBE), r.watchModes())),
                row("registered workers are counted active, inactive and lost",
                        w -> {
                            w.registered(W1, true).registered(W2, false).registered(W3, true);
                            w.alive.put(W1, true);
                            w.alive.put(W3, false);
                            w.remembering(new WorkerMemory(W3, List.of(), true, CandidateState.REGISTERED, null, null,
                                    null, 0, 0, null, 0, false, new WorkerMemory.Liveness(false, 3, NOW - 20_000_000_000L,
                                            org.citusrailway.registrar.timing.Throttle.of(WorkerMemory.REMINDERS)),
                                    org.citusrailway.registrar.timing.Throttle.of(WorkerMemory.REMINDERS)));
                        }, List.of(), List.of(Event.WORKER_LOST),
                        r -> {
                            assertEquals(List.of(1, 1, 1), List.of(r.settled().active(), r.settled().inactive(),
                                    r.settled().lost()));
                            assertEquals(List.of(W3), r.settled().unreachable());
                        }));
    }

    private static Arguments row(String name, Consumer<World> world, List<Action> writes, List<Event> said,
            Consumer<Result> check) {
        return Arguments.of(name, world, writes, said, check);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("decisions")
    void decision(String name, Consumer<World> setup, List<Action> writes, List<Event> said, Consumer<Result> check) {
        World world = new World();
        setup.accept(world);
        Result result = run(world);
        assertEquals(writes, result.plan().actions(), name + ": writes");
        assertEquals(said, result.events(), name + ": events");
        check.accept(result);
    }
}
