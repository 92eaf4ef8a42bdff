package org.citusrailway.registrar;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class StatusAndMetricsTest {

    @Test
    void statusJson() {
        Status status = new Status("leader", true, null, Instant.parse("2025-01-01T00:00:00Z"), 12, 3, 80,
                List.of(new Status.Candidate("worker1.railway.internal", 5432, List.of("fd12::1", "10.0.0.2"),
                        "probe-failed", "auth-failed", "auth-failed: \"quoted\"\nsecond line", Instant.EPOCH)),
                List.of(new Status.Node(1, 0, "coordinator", 5432, true, true, false, "primary", null, false, null)));
        assertEquals("{\"role\":\"leader\",\"coordinator\":{\"reachable\":true,\"error\":null},"
                + "\"lastPassAt\":\"2025-01-01T00:00:00Z\",\"lastPassDurationMs\":12,\"passes\":3,\"candidatesChecked\":80,"
                + "\"candidates\":[{\"name\":\"worker1.railway.internal\",\"port\":5432,\"addresses\":[\"fd12::1\",\"10.0.0.2\"],"
                + "\"state\":\"probe-failed\",\"reason\":\"auth-failed\",\"lastError\":\"auth-failed: \\\"quoted\\\"\\nsecond line\","
                + "\"lastErrorAt\":\"1970-01-01T00:00:00Z\"}],"
                + "\"nodes\":[{\"nodeid\":1,\"groupid\":0,\"nodename\":\"coordinator\",\"nodeport\":5432,\"isactive\":true,"
                + "\"metadatasynced\":true,\"shouldhaveshards\":false,\"noderole\":\"primary\",\"reachable\":null,"
                + "\"retired\":false,\"lastError\":null}]}", status.toJson());
        assertTrue(Status.STARTING.toJson().startsWith("{\"role\":\"starting\""));
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
                "citus_registrar_coordinator_up 0")) {
            assertTrue(text.contains(line + "\n"), line + " in\n" + text);
        }
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
