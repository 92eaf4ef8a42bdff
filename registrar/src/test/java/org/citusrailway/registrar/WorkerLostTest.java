package org.citusrailway.registrar;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.citusrailway.registrar.report.Event;
import org.citusrailway.registrar.report.EventLog;
import org.citusrailway.registrar.config.HostPort;
import org.citusrailway.registrar.report.Metrics;
import org.citusrailway.registrar.report.Redactor;
import org.citusrailway.registrar.reconcile.WorkerStates;

/** A registered worker is lost only after its checks have failed for WORKER_LOST_AFTER without a break. */
class WorkerLostTest {
    private static final HostPort WORKER = new HostPort("worker1.railway.internal", 5432);
    private static final long SECOND = 1_000_000_000L;

    @Test
    void lostOnlyAfterSustainedFailureAndOneSuccessResetsTheClock() {
        try (LogCapture logs = new LogCapture()) {
            WorkerStates workers = new WorkerStates(Duration.ofSeconds(5), Duration.ofSeconds(15),
                    new EventLog(new Redactor("x")), new Metrics());
            long t = 1_000 * SECOND;
            workers.liveness(WORKER, false, "does not accept TCP connections", t);
            workers.liveness(WORKER, false, "does not accept TCP connections", t + 5 * SECOND);
            workers.liveness(WORKER, true, null, t + 10 * SECOND);
            workers.liveness(WORKER, false, "does not accept TCP connections", t + 15 * SECOND);
            workers.liveness(WORKER, false, "does not accept TCP connections", t + 25 * SECOND);
            assertFalse(workers.isLost(WORKER), "10 s of failure since the last success");
            assertEquals(0, logs.count(Event.WORKER_LOST));

            workers.liveness(WORKER, false, "does not accept TCP connections", t + 30 * SECOND);
            assertTrue(workers.isLost(WORKER));
            assertEquals(1, logs.count(Event.WORKER_LOST));
            workers.liveness(WORKER, true, null, t + 35 * SECOND);
            assertFalse(workers.isLost(WORKER));
            assertEquals(1, logs.count(Event.WORKER_RECOVERED));
        }
    }
}
