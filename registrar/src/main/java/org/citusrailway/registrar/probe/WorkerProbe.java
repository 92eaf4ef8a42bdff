package org.citusrailway.registrar.probe;

import java.net.InetAddress;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import org.citusrailway.registrar.config.HostPort;
import org.citusrailway.registrar.coordinator.PgConnector;
import org.citusrailway.registrar.coordinator.SqlErrors;
import org.citusrailway.registrar.reconcile.RestoreTarget;

/**
 * An authenticated look at a worker before it is registered or re-activated: can we log in to POSTGRES_DB, which
 * Citus version is created there, which Citus server_id does it carry (to tell copies and the coordinator apart), and
 * which restore point was its volume restored to, if any.
 */
public final class WorkerProbe {
    private final PgConnector connector;

    public WorkerProbe(PgConnector connector) {
        this.connector = connector;
    }

    public ProbeResult probe(HostPort worker) {
        return probe(worker, List.of());
    }

    /**
     * Probes the worker at the addresses its name resolved to in this pass (by name when there are none), so the
     * driver does not look the name up again through the JVM's resolver, whose lookups no timeout bounds.
     */
    public ProbeResult probe(HostPort worker, List<InetAddress> addresses) {
        try (Connection connection = connector.openWorker(worker, addresses);
                Statement statement = connection.createStatement()) {
            String version;
            try (ResultSet rs = statement.executeQuery(
                    "select extversion from pg_catalog.pg_extension where extname = 'citus'")) {
                version = rs.next() ? rs.getString(1) : null;
            }
            if (version == null) {
                return new ProbeResult.Reached(null, null);
            }
            try (ResultSet rs = statement.executeQuery("select metadata->>'server_id', nullif(current_setting("
                    + "'" + RestoreTarget.SETTING + "', true), '') from pg_catalog.pg_dist_node_metadata")) {
                return rs.next() ? new ProbeResult.Reached(version, rs.getString(1), rs.getString(2))
                        : new ProbeResult.Reached(version, null);
            }
        } catch (SQLException e) {
            return new ProbeResult.Failed(SqlErrors.classify(e), SqlErrors.message(e));
        } catch (RuntimeException e) {
            return new ProbeResult.Failed(ProbeFailure.PROBE_ERROR, String.valueOf(e.getMessage()));
        }
    }
}
