package org.citusrailway.registrar;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.sql.SQLException;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.citusrailway.registrar.report.Event;
import org.citusrailway.registrar.report.EventLog;
import org.citusrailway.registrar.config.HostPort;
import org.citusrailway.registrar.report.Metrics;
import org.citusrailway.registrar.report.Redactor;
import org.citusrailway.registrar.coordinator.SqlErrors;
import org.citusrailway.registrar.reconcile.WorkerStates;

/** A citus_add_node that only met a restarting or refusing worker is retried at the next pass, without backoff. */
class TransientFailureTest {
    private static final HostPort W = new HostPort("worker1.railway.internal", 5432);

    @Test
    void restartingOrRefusingWorkersAreTransient() {
        assertTrue(SqlErrors.transientWorkerConnection(new SQLException("ERROR: connection to the remote node"
                + " postgres@localhost:33631 failed with the following error: FATAL:  terminating connection due to"
                + " administrator command", "08006")));
        assertTrue(SqlErrors.transientWorkerConnection(new SQLException("FATAL: terminating", "57P01")));
        assertTrue(SqlErrors.transientWorkerConnection(new SQLException("ERROR: connection to the remote node"
                + " postgres@w:5432 failed with the following error: Connection refused", "08001")));
        assertTrue(SqlErrors.transientWorkerConnection(new SQLException("... Connection reset by peer", "08006")));
        assertFalse(SqlErrors.transientWorkerConnection(new SQLException("ERROR: connection to the remote node"
                + " postgres@w:5432 failed with the following error: FATAL:  password authentication failed",
                "08006")));
        assertFalse(SqlErrors.transientWorkerConnection(new SQLException("ERROR: permission denied", "42501")));
    }

    @Test
    void transientFailuresSkipTheBackoffAFewTimesInARow() {
        WorkerStates workers = new WorkerStates(Duration.ofSeconds(5), Duration.ZERO, new EventLog(new Redactor("x")), new Metrics());
        long now = 1_000_000_000L;
        for (int i = 0; i < WorkerStates.TRANSIENT_RETRIES; i++) {
            assertTrue(workers.actionFailed(W, Event.WORKER_ADD_FAILED, "citus_add_node", "terminating", true, now));
            assertTrue(workers.due(W, now), "retried at the next pass");
        }
        // Still failing the same way: now it is a real problem and backs off.
        assertFalse(workers.actionFailed(W, Event.WORKER_ADD_FAILED, "citus_add_node", "terminating", true, now));
        assertFalse(workers.due(W, now));
        assertTrue(workers.due(W, now + Duration.ofSeconds(1).toNanos()));

        WorkerStates other = new WorkerStates(Duration.ofSeconds(5), Duration.ZERO, new EventLog(new Redactor("x")), new Metrics());
        assertFalse(other.actionFailed(W, Event.WORKER_ADD_FAILED, "citus_add_node", "permission denied", false, now));
        assertFalse(other.due(W, now), "a costly failure backs off at once");
        assertEquals(1, other.peek(W).failures);
    }
}
