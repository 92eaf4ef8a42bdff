package org.citusrailway.registrar;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.citusrailway.registrar.name.Resolution;
import org.citusrailway.registrar.rebalance.RebalancePlanner;
import org.citusrailway.registrar.reconcile.CandidateState;
import org.citusrailway.registrar.report.Event;
import org.citusrailway.registrar.report.Metrics;
import org.citusrailway.registrar.report.Redactor;
import org.citusrailway.registrar.result.ProbeFailure;
import org.citusrailway.registrar.row.Failover;
import org.citusrailway.registrar.row.RebalanceJob;
import org.citusrailway.registrar.view.Group;
import org.citusrailway.registrar.view.Status;
import org.junit.jupiter.api.Test;

class StatusAndMetricsTest {

    @Test
    void statusJson() {
        Status status = new Status("leader", true, null, Instant.parse("2025-01-01T00:00:00Z"), 12, 3, 80,
                List.of(new Status.Candidate("worker1.railway.internal", 5432, List.of("fd12::1", "10.0.0.2"),
                        "probe-failed", "auth-failed", "auth-failed: \"quoted\"\nsecond line", Instant.EPOCH)),
                List.of(new Status.Node(1, 0, "coordinator", 5432, true, true, false, "primary", null, false, null, false)),
                null, List.of(), Status.Dns.NONE, Status.Archive.NONE);
        assertEquals("{\"role\":\"leader\",\"coordinator\":{\"reachable\":true,\"error\":null},"
                + "\"lastPassAt\":\"2025-01-01T00:00:00Z\",\"lastPassDurationMs\":12,\"passes\":3,\"candidatesChecked\":80,"
                + "\"pendingCandidates\":[],\"dns\":{\"names\":0,\"found\":0,\"notFound\":0,\"timedOut\":0,\"failed\":0,"
                + "\"timedOutNames\":[],\"failedNames\":[],\"troubleSince\":null},\"candidates\":[{\"name\":\"worker1.railway.internal\",\"port\":5432,\"addresses\":[\"fd12::1\",\"10.0.0.2\"],"
                + "\"state\":\"probe-failed\",\"reason\":\"auth-failed\",\"lastError\":\"auth-failed: \\\"quoted\\\"\\nsecond line\","
                + "\"lastErrorAt\":\"1970-01-01T00:00:00Z\"}],"
                + "\"nodes\":[{\"nodeid\":1,\"groupid\":0,\"nodename\":\"coordinator\",\"nodeport\":5432,\"isactive\":true,"
                + "\"metadatasynced\":true,\"shouldhaveshards\":false,\"noderole\":\"primary\",\"reachable\":null,"
                + "\"retired\":false,\"lastError\":null,\"reinitialised\":false}],\"groups\":[],\"rebalance\":null,"
                + "\"archive\":{\"checkedAt\":null,\"error\":null,\"nodes\":[]},"
                + "\"backups\":{\"checkedAt\":null,\"lastRestorePoint\":null,\"lastRestorePointAt\":null,\"pendingRestorePoint\":null,\"nodes\":[]}}",
                status.toJson());
        assertTrue(Status.STARTING.toJson().startsWith("{\"role\":\"starting\""));
        Status pending = new Status("leader", true, null, null, 0, 0, 0, List.of(), List.of(), null,
                List.of("worker3.railway.internal:5432"), Status.Dns.NONE, Status.Archive.NONE);
        assertTrue(pending.toJson().contains("\"pendingCandidates\":[\"worker3.railway.internal:5432\"]"),
                pending.toJson());
        assertTrue(pending.withRole("standby", true, null).pendingCandidates().isEmpty(), "only a leader watches");
    }

    @Test
    void rebalanceInStatusJson() {
        Status.Rebalance rebalance = new Status.Rebalance(true, "auto", "running", "job 7 running: 5/21 tasks done", 7L, "running",
                Instant.parse("2025-01-01T00:00:00Z"), null, 5, 21,
                new java.util.TreeMap<>(Map.of("blocked", 14L, "done", 5L, "running", 1L, "runnable", 1L)),
                List.of("worker3.railway.internal:5432"), List.of("public.nopk"), "fix it", null, null);
        String json = new Status("leader", true, null, null, 0, 0, 0, List.of(), List.of(), rebalance, List.of(),
                Status.Dns.NONE, Status.Archive.NONE).toJson();
        assertTrue(json.endsWith("\"rebalance\":{\"onJoin\":true,\"transferMode\":\"auto\",\"state\":\"running\","
                + "\"detail\":\"job 7 running: 5/21 tasks done\",\"jobId\":7,\"jobState\":\"running\","
                + "\"startedAt\":\"2025-01-01T00:00:00Z\",\"finishedAt\":null,\"tasksDone\":5,\"tasksTotal\":21,"
                + "\"tasks\":{\"blocked\":14,\"done\":5,\"runnable\":1,\"running\":1},"
                + "\"workersWithoutShards\":[\"worker3.railway.internal:5432\"],\"blockedTables\":[\"public.nopk\"],"
                + "\"fix\":\"fix it\",\"error\":null,\"lastCheckAt\":null},"
                + "\"archive\":{\"checkedAt\":null,\"error\":null,\"nodes\":[]},"
                + "\"backups\":{\"checkedAt\":null,\"lastRestorePoint\":null,\"lastRestorePointAt\":null,\"pendingRestorePoint\":null,\"nodes\":[]}}"),
                json);
        assertEquals(Map.of("done", 5L, "blocked", 14L), RebalanceJob.counts("blocked=14,done=5"));
        RebalanceJob job = new RebalanceJob(1, "running", null, null, RebalanceJob.counts("blocked=14,done=5,running=1"),
                null);
        assertEquals(5, job.done());
        assertEquals(20, job.total());
        assertTrue(job.active());
    }

    @Test
    void prometheusText() {
        Metrics metrics = new Metrics();
        metrics.passCompleted(30_000_000);
        metrics.passCompleted(3_000_000_000L);
        metrics.registered();
        metrics.activated();
        metrics.probeFailed(ProbeFailure.AUTH_FAILED);
        metrics.nodes(2, 1, 1);
        metrics.leader(true);
        metrics.rebalanceStarted();
        metrics.rebalance(true, Map.of("done", 5L, "running", 1L, "unscheduled", 2L), 1, 1);
        metrics.workersReinitialised(1);
        metrics.workerRemovedByUser();
        String text = metrics.render();
        for (String line : List.of("citus_registrar_passes_total 2",
                "citus_registrar_pass_duration_seconds_bucket{le=\"0.05\"} 1",
                "citus_registrar_pass_duration_seconds_bucket{le=\"5.0\"} 2",
                "citus_registrar_pass_duration_seconds_bucket{le=\"+Inf\"} 2",
                "citus_registrar_pass_duration_seconds_count 2",
                "citus_registrar_last_pass_duration_seconds 3.0",
                "citus_registrar_registrations_total 1", "citus_registrar_activations_total 1",
                "citus_registrar_probe_failures_total{reason=\"auth-failed\"} 1",
                "citus_registrar_probe_failures_total{reason=\"unreachable\"} 0",
                "citus_registrar_nodes{state=\"active\"} 2", "citus_registrar_nodes{state=\"inactive\"} 1",
                "citus_registrar_nodes{state=\"unreachable\"} 1", "citus_registrar_leader 1",
                "citus_registrar_coordinator_up 0", "citus_registrar_rebalance_running 1",
                "citus_registrar_rebalance_tasks{state=\"done\"} 5",
                "citus_registrar_rebalance_tasks{state=\"running\"} 1",
                "citus_registrar_rebalance_tasks{state=\"blocked\"} 0",
                "citus_registrar_rebalance_tasks{state=\"unscheduled\"} 2",
                "citus_registrar_rebalances_started_total 1", "citus_registrar_rebalance_failures_total 0",
                "citus_registrar_rebalance_blocked_tables 1", "citus_registrar_workers_without_shards 1",
                "citus_registrar_workers_reinitialised 1", "citus_registrar_workers_removed_by_user_total 1")) {
            assertTrue(text.contains(line + "\n"), line + " in\n" + text);
        }
    }

    @Test
    void highAvailabilityGroupsInStatusAndMetrics() {
        Group worker = new Group(1, "worker1-b.railway.internal", List.of(
                new Group.Member("worker1-b.railway.internal", "primary", "running", 3, null, null),
                new Group.Member("worker1-a.railway.internal", "replica", "streaming", 3, 8192L, null)),
                new Failover(3, "2026-12-07T22:10:03.123+00:00", "worker1-b"));
        Group coordinator = new Group(0, "coordinator-a.railway.internal", List.of(
                new Group.Member("coordinator-a.railway.internal", "primary", "running", 1, null, null),
                new Group.Member("coordinator-b.railway.internal", null, null, 0, null, "connection refused")), null);
        String json = Status.STARTING.withGroups(List.of(coordinator, worker)).toJson();
        assertTrue(json.contains("\"groups\":[{\"groupid\":0,\"primary\":\"coordinator-a.railway.internal\","
                + "\"streamingStandbys\":0,\"lastFailover\":null,"), json);
        assertTrue(json.contains("{\"groupid\":1,\"primary\":\"worker1-b.railway.internal\",\"streamingStandbys\":1,"
                + "\"lastFailover\":{\"timeline\":3,\"at\":\"2026-12-07T22:10:03.123+00:00\",\"newPrimary\":\"worker1-b\"},"
                + "\"members\":[{\"name\":\"worker1-b.railway.internal\",\"role\":\"primary\",\"state\":\"running\","
                + "\"timeline\":3,\"lagBytes\":null,\"error\":null},{\"name\":\"worker1-a.railway.internal\","
                + "\"role\":\"replica\",\"state\":\"streaming\",\"timeline\":3,\"lagBytes\":8192,\"error\":null}]}"), json);
        Metrics metrics = new Metrics();
        metrics.groups(List.of(coordinator, worker));
        String text = metrics.render();
        for (String line : List.of("citus_registrar_group_streaming_standbys{group=\"0\"} 0",
                "citus_registrar_group_streaming_standbys{group=\"1\"} 1",
                "citus_registrar_group_replication_lag_bytes{group=\"1\"} 8192",
                "citus_registrar_group_timeline{group=\"1\"} 3", "citus_registrar_group_timeline{group=\"0\"} 1")) {
            assertTrue(text.contains(line + "\n"), line + " in\n" + text);
        }
    }

    @Test
    void candidateAndRebalanceStatesAreTheDocumentedOnes() {
        assertEquals(List.of("not-found", "dns-timeout", "dns-failed", "probe-failed", "ready", "registered", "retired",
                "reinitialised"), java.util.Arrays.stream(CandidateState.values()).map(CandidateState::id).toList());
        assertEquals(List.of("idle", "needed", "waiting", "blocked", "running", "failed"),
                java.util.Arrays.stream(RebalancePlanner.Phase.class.getPermittedSubclasses())
                        .map(phase -> phase.getSimpleName().toLowerCase(java.util.Locale.ROOT)).toList());
        assertEquals("blocked", new RebalancePlanner.Phase.Blocked(List.of()).id());
        assertEquals(CandidateState.DNS_TIMEOUT, CandidateState.ofLookupProblem(Resolution.TIMEOUT));
        assertEquals(CandidateState.DNS_FAILED, CandidateState.ofLookupProblem(Resolution.FAILED));
        assertEquals(CandidateState.NOT_FOUND, CandidateState.ofLookupProblem(Resolution.NOT_FOUND));
        assertEquals(CandidateState.NOT_FOUND, CandidateState.ofLookupProblem(null));
    }

    @Test
    void eventIdsAreStableKebabCaseAndUnique() {
        java.util.Set<String> ids = new java.util.HashSet<>();
        for (Event event : Event.values()) {
            assertTrue(event.id().matches("[a-z]+(-[a-z]+)*"), event.id());
            assertTrue(ids.add(event.id()), "duplicate " + event.id());
        }
        for (ProbeFailure reason : ProbeFailure.values()) {
            assertTrue(reason.id().matches("[a-z]+(-[a-z]+)*"), reason.id());
        }
    }

    @Test
    void redactorHidesThePassword() {
        Redactor redactor = new Redactor("hunter2");
        assertEquals("FATAL: bad password *** for user", redactor.redact("FATAL: bad password hunter2 for user"));
        assertEquals(null, redactor.redact(null));
        assertEquals("nothing", redactor.redact("nothing"));
    }
}
