package org.citusrailway.registrar.reconcile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.citusrailway.registrar.name.HostPort;
import org.citusrailway.registrar.result.ProbeFailure;
import org.citusrailway.registrar.result.ProbeResult;
import org.citusrailway.registrar.row.Member;
import org.citusrailway.registrar.row.NodeRow;
import org.junit.jupiter.api.Test;

class ReconcilerTest {
    private static final HostPort COORDINATOR = new HostPort("coordinator.railway.internal", 5432);
    private static final HostPort W1 = new HostPort("worker1.railway.internal", 5432);
    private static final HostPort W2 = new HostPort("worker2.railway.internal", 5432);
    private static final HostPort W3 = new HostPort("worker3.railway.internal", 5432);
    private static final String VERSION = "13.2-1";

    private final List<NodeRow> nodes = new ArrayList<>();
    private final List<HostPort> resolvable = new ArrayList<>();
    private final Map<HostPort, ProbeResult> probes = new HashMap<>();
    private final Set<String> retired = new HashSet<>();
    private final Map<HostPort, String> workerIds = new HashMap<>();
    private final Set<HostPort> reinitialised = new HashSet<>();

    private void coordinatorRow(String name, int port) {
        nodes.add(new NodeRow(1, 0, name, port, true, "primary", true, false));
    }

    private void worker(HostPort worker, boolean active) {
        nodes.add(new NodeRow(nodes.size() + 1, nodes.size() + 1, worker.host(), worker.port(), active, "primary",
                active, true));
    }

    private void ready(HostPort worker, String serverId) {
        resolvable.add(worker);
        probes.put(worker, new ProbeResult.Reached(VERSION, serverId));
    }

    private String coordinatorRestoredTo;
    private final Set<HostPort> restoreMismatch = new HashSet<>();

    private Decision decide() {
        return Reconciler.decide(new ReconcileInput(COORDINATOR, nodes, resolvable, probes, retired, VERSION, "coord-id",
                workerIds, reinitialised, coordinatorRestoredTo, restoreMismatch));
    }

    @Test
    void theWritesAreTheDifferenceBetweenTheMembersWantedAndTheRegisteredOnes() {
        Member w1 = new Member(W1, "Worker1.railway.internal", true);
        Member w2 = new Member(W2, W2.host(), false);
        Map<HostPort, Member> registered = new LinkedHashMap<>();
        registered.put(W1, w1);
        registered.put(W2, w2);
        Map<HostPort, Member> wanted = new LinkedHashMap<>();
        wanted.put(W3, new Member(W3, W3.host(), true));
        wanted.put(W1, w1.withActive(false));
        wanted.put(W2, w2.withActive(true));
        assertEquals(List.of(new Action.AddNode(W3), new Action.DisableNode(W1, "Worker1.railway.internal"),
                new Action.ActivateNode(W2, W2.host())), Reconciler.difference(registered, wanted));
        assertEquals(List.of(), Reconciler.difference(registered, registered), "members as they are: nothing to write");
    }

    @Test
    void anActiveWorkerFromAnotherPointInTimeIsDisabledAndAnInactiveOneIsNotActivated() {
        coordinatorRestoredTo = "citus-20261202T070000Z";
        coordinatorRow("coordinator.railway.internal", 5432);
        worker(W1, true);
        worker(W2, false);
        worker(W3, true);
        resolvable.addAll(List.of(W1, W2, W3));
        probes.put(W2, new ProbeResult.Reached(VERSION, "id-2", "citus-20261201T070000Z"));
        restoreMismatch.addAll(Set.of(W1, W2));
        Decision decision = decide();
        assertEquals(List.of(new Action.DisableNode(W1, W1.host())), decision.actions());
        assertEquals(Map.of(W2, ProbeFailure.RESTORE_POINT_MISMATCH), decision.rejected());

        restoreMismatch.clear(); // W2 restored to the coordinator's point: activated again
        probes.put(W2, new ProbeResult.Reached(VERSION, "id-2", coordinatorRestoredTo));
        assertEquals(List.of(new Action.ActivateNode(W2, W2.host())), decide().actions());
    }

    @Test
    void aNewWorkerRestoredToAnotherPointIsNotAddedButANeverRestoredOneIs() {
        coordinatorRestoredTo = "citus-20261202T070000Z";
        coordinatorRow("coordinator.railway.internal", 5432);
        resolvable.addAll(List.of(W1, W2, W3));
        probes.put(W1, new ProbeResult.Reached(VERSION, "id-1", "citus-20261201T070000Z"));
        probes.put(W2, new ProbeResult.Reached(VERSION, "id-2", null));
        probes.put(W3, new ProbeResult.Reached(VERSION, "id-3", coordinatorRestoredTo));
        Decision decision = decide();
        assertEquals(List.of(new Action.AddNode(W2), new Action.AddNode(W3)), decision.actions());
        assertEquals(Map.of(W1, ProbeFailure.RESTORE_POINT_MISMATCH), decision.rejected());

        coordinatorRestoredTo = null; // a worker restored alone, while the coordinator was not
        probes.remove(W2);
        probes.remove(W3);
        assertEquals(Map.of(W1, ProbeFailure.RESTORE_POINT_MISMATCH), decide().rejected());
    }

    @Test
    void fromScratchSetsTheCoordinatorRowThenAddsReadyWorkersByName() {
        ready(W1, "id-1");
        ready(W2, "id-2");
        assertEquals(List.of(new Action.SetCoordinatorHost(COORDINATOR), new Action.AddNode(W1), new Action.AddNode(W2)),
                decide().actions());
    }

    @Test
    void steadyStateIsANoOp() {
        coordinatorRow("coordinator.railway.internal", 5432);
        worker(W1, true);
        worker(W2, true);
        resolvable.addAll(List.of(W1, W2));
        Decision decision = decide();
        assertEquals(List.of(), decision.actions());
        assertEquals(Map.of(), decision.rejected());
    }

    @Test
    void coordinatorRowIsFixedWhenLocalhostOrWrongPortButNameCaseDoesNotMatter() {
        coordinatorRow("localhost", 5432);
        assertEquals(List.of(new Action.SetCoordinatorHost(COORDINATOR)), decide().actions());
        nodes.clear();
        coordinatorRow("coordinator.railway.internal", 5433);
        assertEquals(List.of(new Action.SetCoordinatorHost(COORDINATOR)), decide().actions());
        nodes.clear();
        coordinatorRow("Coordinator.Railway.Internal", 5432);
        assertEquals(List.of(), decide().actions());
    }

    @Test
    void onlyReadyWorkersAreAdded() {
        coordinatorRow("coordinator.railway.internal", 5432);
        resolvable.addAll(List.of(W1, W2, W3));
        probes.put(W1, new ProbeResult.Failed(ProbeFailure.AUTH_FAILED, "password authentication failed"));
        probes.put(W2, new ProbeResult.Reached(VERSION, "id-2"));
        // W3 resolved but was not probed this pass (backing off): nothing happens to it
        assertEquals(List.of(new Action.AddNode(W2)), decide().actions());
    }

    @Test
    void checksBeforeAdding() {
        coordinatorRow("coordinator.railway.internal", 5432);
        resolvable.addAll(List.of(W1, W2, W3));
        probes.put(W1, new ProbeResult.Reached(null, null));
        probes.put(W2, new ProbeResult.Reached("13.1-1", "id-2"));
        probes.put(W3, new ProbeResult.Reached(VERSION, "coord-id"));
        Decision decision = decide();
        assertEquals(List.of(), decision.actions());
        assertEquals(Map.of(W1, ProbeFailure.CITUS_MISSING, W2, ProbeFailure.CITUS_VERSION_MISMATCH,
                W3, ProbeFailure.IS_COORDINATOR), decision.rejected());
    }

    @Test
    void aCopyOfARegisteredWorkerOrASecondNameIsNotAdded() {
        coordinatorRow("coordinator.railway.internal", 5432);
        worker(W1, true);
        workerIds.put(W1, "id-1");
        HostPort alias = new HostPort("worker-1.railway.internal", 5432);
        ready(alias, "id-1");
        ready(W2, "id-2");
        ready(W3, "id-2");
        Decision decision = decide();
        assertEquals(List.of(new Action.AddNode(W2)), decision.actions());
        assertEquals(Map.of(alias, ProbeFailure.DUPLICATE_SERVER_ID, W3, ProbeFailure.DUPLICATE_SERVER_ID),
                decision.rejected());
    }

    @Test
    void inactiveHealthyWorkerIsActivatedUnderItsStoredName() {
        coordinatorRow("coordinator.railway.internal", 5432);
        nodes.add(new NodeRow(2, 1, "Worker1.Railway.Internal", 5432, false, "primary", false, true));
        workerIds.put(W1, "id-1");
        ready(W1, "id-1");
        assertEquals(List.of(new Action.ActivateNode(W1, "Worker1.Railway.Internal")), decide().actions());
    }

    @Test
    void inactiveWorkerThatFailsItsProbeStaysInactive() {
        coordinatorRow("coordinator.railway.internal", 5432);
        worker(W1, false);
        resolvable.add(W1);
        probes.put(W1, new ProbeResult.Failed(ProbeFailure.UNREACHABLE, "refused"));
        assertEquals(List.of(), decide().actions());
    }

    @Test
    void retiredWorkersAreNeverAddedNorActivated() {
        coordinatorRow("coordinator.railway.internal", 5432);
        worker(W1, false);
        ready(W1, "id-1");
        ready(W2, "id-2");
        retired.add(W1.host());
        retired.add(W2.host());
        Decision decision = decide();
        assertEquals(List.of(), decision.actions());
        assertEquals(Set.of(W1, W2), decision.retired());
    }

    @Test
    void nothingIsEverRemovedOrDisabled() {
        coordinatorRow("coordinator.railway.internal", 5432);
        worker(W1, true);
        worker(W2, false);
        // Neither resolves nor answers: still no action of any kind.
        assertEquals(List.of(), decide().actions());
    }

    @Test
    void secondaryAndCoordinatorRowsAreNotActivated() {
        nodes.add(new NodeRow(1, 0, "coordinator.railway.internal", 5432, false, "primary", true, false));
        nodes.add(new NodeRow(2, 1, W1.host(), 5432, false, "secondary", false, true));
        ready(W1, "id-1");
        Decision decision = decide();
        assertTrue(decision.actions().stream().noneMatch(a -> a instanceof Action.ActivateNode), decision.toString());
    }

    @Test
    void addsComeBeforeActivations() {
        coordinatorRow("coordinator.railway.internal", 5432);
        worker(W1, false);
        ready(W1, "id-1");
        ready(W2, "id-2");
        assertEquals(List.of(new Action.AddNode(W2), new Action.ActivateNode(W1, W1.host())), decide().actions());
    }

    @Test
    void aReinitialisedWorkerIsNeverActivatedButOthersAre() {
        coordinatorRow("coordinator.railway.internal", 5432);
        worker(W1, false);
        worker(W2, false);
        ready(W1, "new-id-after-wipe");
        ready(W2, "id-2");
        reinitialised.add(W1);
        Decision decision = decide();
        assertEquals(List.of(new Action.ActivateNode(W2, W2.host())), decision.actions());
        assertEquals(Set.of(W1), decision.reinitialised());
    }
}
