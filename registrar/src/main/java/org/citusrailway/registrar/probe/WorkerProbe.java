package org.citusrailway.registrar.probe;

import java.net.InetAddress;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import org.citusrailway.registrar.name.HostPort;
import org.citusrailway.registrar.pg.NodeIdentity;
import org.citusrailway.registrar.pg.PgConnector;
import org.citusrailway.registrar.pg.SqlErrors;
import org.citusrailway.registrar.result.ProbeFailure;
import org.citusrailway.registrar.result.ProbeResult;

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
            NodeIdentity identity = NodeIdentity.read(statement);
            return new ProbeResult.Reached(identity.citusVersion(), identity.serverId(), identity.restoredTo());
        } catch (SQLException e) {
            return new ProbeResult.Failed(SqlErrors.classify(e), SqlErrors.message(e));
        } catch (RuntimeException e) {
            return new ProbeResult.Failed(ProbeFailure.PROBE_ERROR, String.valueOf(e.getMessage()));
        }
    }
}
