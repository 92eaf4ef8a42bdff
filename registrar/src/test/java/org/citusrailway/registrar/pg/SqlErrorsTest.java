package org.citusrailway.registrar.pg;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.sql.SQLException;
import org.junit.jupiter.api.Test;

/** Which coordinator errors only met a restarting or refusing worker: those are retried at the next pass. */
class SqlErrorsTest {
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
}
