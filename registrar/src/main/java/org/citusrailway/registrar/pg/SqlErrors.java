package org.citusrailway.registrar.pg;

import java.sql.SQLException;
import org.citusrailway.registrar.result.ProbeFailure;
import org.postgresql.util.PSQLException;

/** Reads SQLSTATEs: which failures mean the connection is gone, and what a failed worker connection means. */
public final class SqlErrors {
    private SqlErrors() {
    }

    /**
     * Whether our own session is gone. A server ERROR leaves the session usable even with SQLSTATE 08xxx (Citus reports
     * its failed connections to workers that way); only FATAL/PANIC from the server or a client-side I/O failure
     * (no server message) ends it.
     */
    public static boolean sessionLost(SQLException e) {
        if (e instanceof PSQLException p && p.getServerErrorMessage() != null) {
            String severity = p.getServerErrorMessage().getSeverity();
            return "FATAL".equals(severity) || "PANIC".equals(severity);
        }
        String state = e.getSQLState();
        return state == null || state.startsWith("08") || state.startsWith("57P");
    }

    public static ProbeFailure classify(SQLException e) {
        String state = e.getSQLState() == null ? "" : e.getSQLState();
        return switch (state) {
            case "28P01", "28000" -> ProbeFailure.AUTH_FAILED;
            case "3D000" -> ProbeFailure.DATABASE_MISSING;
            case "57P03", "57P01", "57P02" -> ProbeFailure.STARTING_UP;
            default -> state.startsWith("08") ? ProbeFailure.UNREACHABLE : ProbeFailure.PROBE_ERROR;
        };
    }

    /**
     * Whether a failed citus_add_node / citus_activate_node only met a worker connection that is briefly unusable: the
     * worker is restarting (57P01 admin_shutdown, "terminating connection due to administrator command", in Citus's
     * own error text too), refuses / resets the connection, or could not resolve a node's name in time. Worth retrying
     * on the next pass without backoff.
     */
    public static boolean transientWorkerConnection(SQLException e) {
        if ("57P01".equals(e.getSQLState())) {
            return true;
        }
        String text = e.getMessage() == null ? "" : e.getMessage().toLowerCase(java.util.Locale.ROOT);
        return text.contains("terminating connection due to administrator command")
                || text.contains("connection refused")
                || text.contains("connection reset")
                || text.contains("server closed the connection unexpectedly")
                // a node's own resolver lost a query for another node's name (libpq inside Citus), or took so long
                // that citus.node_connection_timeout ran out: the next try usually gets an answer at once
                || text.contains("could not translate host name")
                || text.contains("could not establish connection after");
    }

    /** The server's message without the driver's decorations; first line only (Citus adds DETAIL/HINT lines). */
    public static String message(SQLException e) {
        String text = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        int newline = text.indexOf('\n');
        return (newline < 0 ? text : text.substring(0, newline)).trim();
    }
}
