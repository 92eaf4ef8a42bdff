package org.citusrailway.registrar;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The registrar's one connection to the coordinator. It holds the session-level advisory lock that makes this
 * registrar the leader, and every change is made on it: if the session is lost, so is the lock, and a registrar that
 * lost its session cannot act.
 */
final class CoordinatorSession implements AutoCloseable {
    /** pg_try_advisory_lock key: the ASCII bytes of "citusreg" as a bigint (0x6369747573726567). */
    static final long ADVISORY_LOCK_KEY = 0x6369747573726567L;

    private static final String RETIRED_TABLE = "citus_registrar.retired_workers";

    private final Connection connection;
    private boolean leader;
    private String citusVersion;
    private String serverId;

    private CoordinatorSession(Connection connection) {
        this.connection = connection;
    }

    static CoordinatorSession open(PgConnector connector) throws SQLException {
        return new CoordinatorSession(connector.openCoordinator());
    }

    boolean isLeader() {
        return leader;
    }

    /** Tries once; only called while not leader, because the lock counts re-entries. */
    boolean tryLead() throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement("select pg_try_advisory_lock(?)")) {
            ps.setLong(1, ADVISORY_LOCK_KEY);
            try (ResultSet rs = ps.executeQuery()) {
                leader = rs.next() && rs.getBoolean(1);
            }
        }
        return leader;
    }

    /**
     * Creates citus_registrar.retired_workers on the coordinator only: DDL propagation is off for this transaction,
     * so Citus does not push the schema to workers. Returns true when it had to be created.
     */
    boolean ensureRetiredTable() throws SQLException {
        try (Statement s = connection.createStatement();
                ResultSet rs = s.executeQuery("select to_regclass('" + RETIRED_TABLE + "') is not null")) {
            if (rs.next() && rs.getBoolean(1)) {
                return false;
            }
        }
        connection.setAutoCommit(false);
        try (Statement s = connection.createStatement()) {
            s.execute("set local citus.enable_ddl_propagation to off");
            s.execute("create schema if not exists citus_registrar");
            s.execute("create table if not exists " + RETIRED_TABLE + " (nodename text primary key,"
                    + " retired_at timestamptz not null default now(), note text)");
            s.execute("comment on table " + RETIRED_TABLE + " is 'Workers the registrar must never add or activate"
                    + " again (drained or removed on purpose). Delete a row to let the registrar manage the name again.'");
            connection.commit();
        } catch (SQLException e) {
            rollbackQuietly();
            throw e;
        } finally {
            if (!connection.isClosed()) {
                connection.setAutoCommit(true);
            }
        }
        return true;
    }

    /** The coordinator's citus version and server_id, read once per session; null version = citus not created. */
    boolean readIdentity() throws SQLException {
        try (Statement s = connection.createStatement()) {
            try (ResultSet rs = s.executeQuery("select extversion from pg_catalog.pg_extension where extname = 'citus'")) {
                citusVersion = rs.next() ? rs.getString(1) : null;
            }
            if (citusVersion == null) {
                return false;
            }
            try (ResultSet rs = s.executeQuery("select metadata->>'server_id' from pg_catalog.pg_dist_node_metadata")) {
                serverId = rs.next() ? rs.getString(1) : null;
            }
        }
        return true;
    }

    void forgetIdentity() {
        citusVersion = null;
        serverId = null;
    }

    String citusVersion() {
        return citusVersion;
    }

    String serverId() {
        return serverId;
    }

    List<NodeRow> nodes() throws SQLException {
        List<NodeRow> rows = new ArrayList<>();
        try (Statement s = connection.createStatement(); ResultSet rs = s.executeQuery(
                "select nodeid, groupid, nodename, nodeport, isactive, noderole::text, metadatasynced, shouldhaveshards"
                        + " from pg_catalog.pg_dist_node order by nodeid")) {
            while (rs.next()) {
                rows.add(new NodeRow(rs.getInt(1), rs.getInt(2), rs.getString(3), rs.getInt(4), rs.getBoolean(5),
                        rs.getString(6), rs.getBoolean(7), rs.getBoolean(8)));
            }
        }
        return rows;
    }

    Set<String> retiredNames() throws SQLException {
        Set<String> names = new HashSet<>();
        try (Statement s = connection.createStatement();
                ResultSet rs = s.executeQuery("select nodename from " + RETIRED_TABLE)) {
            while (rs.next()) {
                names.add(DnsName.normalize(rs.getString(1)));
            }
        }
        return names;
    }

    /** server_id of every active worker, asked through the coordinator (no credentials needed here for workers). */
    Map<HostPort, String> workerServerIds() throws SQLException {
        Map<HostPort, String> ids = new HashMap<>();
        try (Statement s = connection.createStatement(); ResultSet rs = s.executeQuery(
                "select nodename, nodeport, success, result from run_command_on_workers("
                        + "$$select metadata->>'server_id' from pg_catalog.pg_dist_node_metadata$$)")) {
            while (rs.next()) {
                if (rs.getBoolean(3)) {
                    ids.put(new HostPort(DnsName.normalize(rs.getString(1)), rs.getInt(2)), rs.getString(4));
                }
            }
        }
        return ids;
    }

    void apply(Action action) throws SQLException {
        switch (action) {
            case Action.SetCoordinatorHost set -> call("select citus_set_coordinator_host(?, ?)", set.coordinator().host(),
                    set.coordinator().port());
            case Action.AddNode add -> call("select citus_add_node(?, ?)", add.worker().host(), add.worker().port());
            case Action.ActivateNode activate -> call("select citus_activate_node(?, ?)", activate.storedName(),
                    activate.worker().port());
        }
    }

    private void call(String sql, String host, int port) throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement(sql)) {
            ps.setString(1, host);
            ps.setInt(2, port);
            ps.execute();
        }
    }

    /** Whether the failure ended this session (then the lock is gone too and the session must be dropped). */
    boolean broken(SQLException e) {
        try {
            return connection.isClosed() || SqlErrors.sessionLost(e);
        } catch (SQLException closed) {
            return true;
        }
    }

    /** From another thread: drops the socket at once, so a statement in flight cannot delay shutdown. */
    void abort() {
        try {
            connection.abort(Runnable::run);
        } catch (SQLException | RuntimeException e) {
            // already closed
        }
    }

    @Override
    public void close() {
        try {
            connection.close();
        } catch (SQLException e) {
            // the session is being dropped either way; the server releases the lock when it notices
        }
    }

    private void rollbackQuietly() {
        try {
            connection.rollback();
        } catch (SQLException ignored) {
            // the caller reports the original failure
        }
    }
}
