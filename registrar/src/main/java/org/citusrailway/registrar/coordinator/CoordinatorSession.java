package org.citusrailway.registrar.coordinator;

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
import org.citusrailway.registrar.config.ShardTransferMode;
import org.citusrailway.registrar.name.DnsName;
import org.citusrailway.registrar.name.HostPort;
import org.citusrailway.registrar.pg.NodeIdentity;
import org.citusrailway.registrar.pg.PgConnector;
import org.citusrailway.registrar.pg.SqlErrors;
import org.citusrailway.registrar.row.ArchiveRow;
import org.citusrailway.registrar.row.KnownWorkerRow;
import org.citusrailway.registrar.row.NodeRow;
import org.citusrailway.registrar.row.RebalanceJob;

/**
 * The registrar's one connection to the coordinator. It holds the session-level advisory lock that makes this
 * registrar the leader, and every change is made on it: if the session is lost, so is the lock, and a registrar that
 * lost its session cannot act.
 */
public final class CoordinatorSession implements AutoCloseable {
    /** pg_try_advisory_lock key: the ASCII bytes of "citusreg" as a bigint (0x6369747573726567). */
    public static final long ADVISORY_LOCK_KEY = 0x6369747573726567L;

    private static final String RETIRED_TABLE = "citus_registrar.retired_workers";
    private static final String KNOWN_TABLE = "citus_registrar.known_workers";

    private final Connection connection;
    private boolean leader;
    private String citusVersion;
    private String serverId;
    private String restoredTo;

    private CoordinatorSession(Connection connection) {
        this.connection = connection;
    }

    public static CoordinatorSession open(PgConnector connector) throws SQLException {
        return new CoordinatorSession(connector.openCoordinator());
    }

    public boolean isLeader() {
        return leader;
    }

    /** Tries once; only called while not leader, because the lock counts re-entries. */
    public boolean tryLead() throws SQLException {
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
    public boolean ensureRetiredTable() throws SQLException {
        return ensureTable(RETIRED_TABLE, "(nodename text primary key, retired_at timestamptz not null default now(),"
                + " note text)", "Workers the registrar must never add or activate again (drained or removed on"
                + " purpose). Delete a row to let the registrar manage the name again.");
    }

    /**
     * Creates citus_registrar.known_workers (coordinator only, like retired_workers): every worker the registrar saw
     * registered, with the Citus server_id it had then, so a removal by hand or a wiped data directory is noticed
     * even across registrar restarts.
     */
    public boolean ensureKnownTable() throws SQLException {
        boolean created = ensureTable(KNOWN_TABLE, "(nodename text not null, nodeport int not null, server_id text,"
                + " registered_at timestamptz not null default now(), primary key (nodename, nodeport))",
                "Workers the registrar has seen registered, with their Citus server_id at the time. Maintained by"
                        + " the registrar; a row whose worker is removed from pg_dist_node is moved to retired_workers.");
        // The restore point the coordinator had been restored to when the worker was first seen (null: none). A
        // worker seen before the coordinator's latest restore must have been restored to the same point.
        try (Statement s = connection.createStatement()) {
            s.execute("alter table " + KNOWN_TABLE + " add column if not exists restore_point text");
        }
        return created;
    }

    private boolean ensureTable(String table, String columns, String comment) throws SQLException {
        try (Statement s = connection.createStatement();
                ResultSet rs = s.executeQuery("select to_regclass('" + table + "') is not null")) {
            if (rs.next() && rs.getBoolean(1)) {
                return false;
            }
        }
        inTransaction(s -> {
            s.execute("set local citus.enable_ddl_propagation to off");
            s.execute("create schema if not exists citus_registrar");
            s.execute("create table if not exists " + table + " " + columns);
            s.execute("comment on table " + table + " is '" + comment.replace("'", "''") + "'");
        });
        return true;
    }

    /** citus_registrar.known_workers: worker → what was recorded when it was first seen registered. */
    public Map<HostPort, KnownWorkerRow> knownWorkers() throws SQLException {
        Map<HostPort, KnownWorkerRow> known = new HashMap<>();
        try (Statement s = connection.createStatement(); ResultSet rs = s.executeQuery(
                "select nodename, nodeport, server_id, restore_point from " + KNOWN_TABLE)) {
            while (rs.next()) {
                known.put(new HostPort(DnsName.normalize(rs.getString(1)), rs.getInt(2)),
                        new KnownWorkerRow(rs.getString(3), rs.getString(4)));
            }
        }
        return known;
    }

    /** Records a registered worker once; an existing row (and its server_id) is never overwritten. */
    public void rememberWorker(HostPort worker, String serverId) throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement("insert into " + KNOWN_TABLE
                + " (nodename, nodeport, server_id, restore_point) values (?, ?, ?, ?)"
                + " on conflict (nodename, nodeport) do nothing")) {
            ps.setString(1, worker.host());
            ps.setInt(2, worker.port());
            ps.setString(3, serverId);
            ps.setString(4, restoredTo);
            ps.execute();
        }
    }

    public void forgetWorker(HostPort worker) throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement("delete from " + KNOWN_TABLE
                + " where nodename = ? and nodeport = ?")) {
            ps.setString(1, worker.host());
            ps.setInt(2, worker.port());
            ps.execute();
        }
    }

    /** In one transaction: the name goes to retired_workers (unless already there) and leaves known_workers. */
    public void retireRemovedWorker(HostPort worker, String note) throws SQLException {
        inTransaction(s -> {
            try (PreparedStatement ps = connection.prepareStatement("insert into " + RETIRED_TABLE
                    + " (nodename, note) values (?, ?) on conflict (nodename) do nothing")) {
                ps.setString(1, worker.host());
                ps.setString(2, note);
                ps.execute();
            }
            forgetWorker(worker);
        });
    }

    /** The newest rebalance job (citus_rebalance_status), or null when there never was one. One query. */
    public RebalanceJob latestRebalanceJob() throws SQLException {
        try (Statement s = connection.createStatement(); ResultSet rs = s.executeQuery(
                "select s.job_id, s.state::text, s.started_at, s.finished_at,"
                        + " (select string_agg(key || '=' || value, ',' order by key)"
                        + "    from jsonb_each_text(s.details->'task_state_counts')),"
                        // Only failed or retried tasks carry an error; a done task's message is its command tag.
                        + " (select t.message from pg_catalog.pg_dist_background_task t where t.job_id = s.job_id"
                        + "    and t.message <> '' and (t.status::text in ('error', 'cancelled') or t.retry_count > 0)"
                        + "    order by t.task_id desc limit 1)"
                        + " from pg_catalog.citus_rebalance_status() s")) {
            if (!rs.next()) {
                return null;
            }
            java.sql.Timestamp started = rs.getTimestamp(3);
            java.sql.Timestamp finished = rs.getTimestamp(4);
            return new RebalanceJob(rs.getLong(1), rs.getString(2), started == null ? null : started.toInstant(),
                    finished == null ? null : finished.toInstant(), RebalanceJob.counts(rs.getString(5)),
                    rs.getString(6));
        }
    }

    /**
     * Active primary workers meant to hold shards that hold no placement of any hash-distributed shard, while
     * hash-distributed tables exist: the persistent sign that a rebalance is still owed (it survives restarts).
     */
    public List<HostPort> workersWithoutShards() throws SQLException {
        List<HostPort> workers = new ArrayList<>();
        try (Statement s = connection.createStatement(); ResultSet rs = s.executeQuery(
                "select n.nodename, n.nodeport from pg_catalog.pg_dist_node n"
                        + " where n.isactive and n.noderole = 'primary' and n.shouldhaveshards and n.groupid <> 0"
                        + " and exists (select 1 from pg_catalog.pg_dist_partition where partmethod = 'h')"
                        + " and not exists (select 1 from pg_catalog.pg_dist_placement pl"
                        + "   join pg_catalog.pg_dist_shard sh on sh.shardid = pl.shardid"
                        + "   join pg_catalog.pg_dist_partition pa on pa.logicalrelid = sh.logicalrelid"
                        + "   where pl.groupid = n.groupid and pa.partmethod = 'h')"
                        + " order by 1, 2")) {
            while (rs.next()) {
                workers.add(new HostPort(DnsName.normalize(rs.getString(1)), rs.getInt(2)));
            }
        }
        return workers;
    }

    /**
     * Distributed tables whose shards cannot move by logical replication (no replica identity, or the default one
     * without a primary key): Citus refuses a whole online rebalance for any one of them. Reference tables are not
     * moved, only copied, so they do not count.
     */
    public List<String> tablesBlockingOnlineMoves() throws SQLException {
        List<String> tables = new ArrayList<>();
        try (Statement s = connection.createStatement(); ResultSet rs = s.executeQuery(
                "select format('%I.%I', n.nspname, c.relname) from pg_catalog.pg_dist_partition p"
                        + " join pg_catalog.pg_class c on c.oid = p.logicalrelid"
                        + " join pg_catalog.pg_namespace n on n.oid = c.relnamespace"
                        + " where (p.partmethod = 'h' or (p.partmethod = 'n' and p.repmodel <> 't' and p.colocationid <> 0))"
                        + " and (c.relreplident = 'n' or (c.relreplident = 'd' and not exists ("
                        + "   select 1 from pg_catalog.pg_index i where i.indrelid = c.oid and i.indisprimary)))"
                        + " order by 1")) {
            while (rs.next()) {
                tables.add(rs.getString(1));
            }
        }
        return tables;
    }

    /**
     * citus_rebalance_start() in the given mode, with moves of one colocation group and the reference-table copies
     * allowed to run side by side (each online move waits about a second in Citus's catch-up poll, so one at a time
     * is mostly waiting; the node settings bound how many run at once): the background job's id, or null when Citus
     * finds no moves to make.
     */
    public Long startRebalance(ShardTransferMode mode) throws SQLException {
        try (PreparedStatement s = connection.prepareStatement("select pg_catalog.citus_rebalance_start("
                + "shard_transfer_mode := ?::citus.shard_transfer_mode, parallel_transfer_colocated_shards := true,"
                + " parallel_transfer_reference_tables := true)")) {
            s.setString(1, mode.citusValue());
            try (ResultSet rs = s.executeQuery()) {
                if (!rs.next()) {
                    return null;
                }
                long id = rs.getLong(1);
                return rs.wasNull() ? null : id;
            }
        }
    }

    /** The coordinator's citus version and server_id, read once per session; null version = citus not created. */
    public boolean readIdentity() throws SQLException {
        NodeIdentity identity;
        try (Statement s = connection.createStatement()) {
            identity = NodeIdentity.read(s);
        }
        citusVersion = identity.citusVersion();
        serverId = identity.serverId();
        restoredTo = identity.restoredTo();
        return citusVersion != null;
    }

    public void forgetIdentity() {
        citusVersion = null;
        serverId = null;
        restoredTo = null;
    }

    public String citusVersion() {
        return citusVersion;
    }

    public String serverId() {
        return serverId;
    }

    /** The restore point the coordinator's volume was restored to, or null. */
    public String restoredTo() {
        return restoredTo;
    }

    public List<NodeRow> nodes() throws SQLException {
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

    public Set<String> retiredNames() throws SQLException {
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
    public Map<HostPort, String> workerServerIds() throws SQLException {
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

    /**
     * pg_stat_archiver and the WAL kept of every active node, asked through the coordinator in one statement: one row per
     * node, {@code answered} false (and the rest empty) for a node that could not be asked.
     */
    public List<ArchiveRow> archiveStatus() throws SQLException {
        List<ArchiveRow> rows = new ArrayList<>();
        // A node that is down must not hold the pass for Citus's 30 s connection timeout: 3 s, in this transaction.
        connection.setAutoCommit(false);
        try (Statement s = connection.createStatement()) {
            s.execute("select set_config('citus.node_connection_timeout', '3000', true)");
            try (ResultSet rs = s.executeQuery("select n.nodename, n.nodeport, r.success, r.result"
                    + " from run_command_on_all_nodes($$select concat_ws('|', current_setting('archive_mode'),"
                    + " archived_count, failed_count,"
                    + " coalesce((extract(epoch from last_archived_time) * 1000)::bigint::text, ''),"
                    + " coalesce((extract(epoch from last_failed_time) * 1000)::bigint::text, ''),"
                    + " coalesce(last_failed_wal, ''),"
                    + " (select count(*) from pg_ls_archive_statusdir() where name like '%.ready'),"
                    + " (select coalesce(sum(size), 0) from pg_ls_waldir()), coalesce(w.bytes::text, ''),"
                    + " case when w.bytes > 0 then floor(extract(epoch from clock_timestamp() - last_archived_time))"
                    + " else 0 end)"
                    + " from pg_stat_archiver, lateral (" + WAL_NOT_ARCHIVED + ") w$$) r"
                    + " join pg_catalog.pg_dist_node n using (nodeid) order by n.nodeid")) {
                while (rs.next()) {
                    HostPort node = new HostPort(DnsName.normalize(rs.getString(1)), rs.getInt(2));
                    String[] f = rs.getBoolean(3) ? rs.getString(4).split("\\|", -1) : new String[0];
                    rows.add(f.length == 10 ? new ArchiveRow(node, true, f[0], Long.parseLong(f[1]),
                            Long.parseLong(f[2]), instant(f[3]), instant(f[4]), f[5].isEmpty() ? null : f[5],
                            Long.parseLong(f[6]), Long.parseLong(f[7]), number(f[8]), number(f[9]))
                            : ArchiveRow.unanswered(node));
                }
            }
            connection.commit();
        } catch (SQLException e) {
            connection.rollback();
            throw e;
        } finally {
            connection.setAutoCommit(true);
        }
        return rows;
    }

    /**
     * WAL the node has written but not yet archived, in bytes: from the end of the last archived segment (its name is
     * its timeline, then its position) to the current write position; empty where unknown (no segment archived yet,
     * archiving off, or in recovery).
     */
    private static final String WAL_NOT_ARCHIVED = "select case when current_setting('archive_mode') = 'off'"
            + " or pg_is_in_recovery() or coalesce(last_archived_wal, '') !~ '^[0-9A-F]{24}' then null"
            + " else greatest(0, pg_current_wal_lsn() - '0/0'::pg_lsn"
            + " - (('x' || substr(last_archived_wal, 9, 8))::bit(32)::bigint * 4294967296"
            + " + (('x' || substr(last_archived_wal, 17, 8))::bit(32)::bigint + 1)"
            + " * pg_size_bytes(current_setting('wal_segment_size'))))::bigint end as bytes";

    private static Long number(String text) {
        return text.isEmpty() ? null : Long.valueOf(text);
    }

    private static java.time.Instant instant(String epochMillis) {
        return epochMillis.isEmpty() ? null : java.time.Instant.ofEpochMilli(Long.parseLong(epochMillis));
    }

    public void setCoordinatorHost(HostPort coordinator) throws SQLException {
        call("select citus_set_coordinator_host(?, ?)", coordinator.host(), coordinator.port());
    }

    public void addNode(HostPort worker) throws SQLException {
        call("select citus_add_node(?, ?)", worker.host(), worker.port());
    }

    /** By the name as stored in pg_dist_node. */
    public void activateNode(String storedName, int port) throws SQLException {
        call("select citus_activate_node(?, ?)", storedName, port);
    }

    public void disableNode(String storedName, int port) throws SQLException {
        call("select citus_disable_node(?, ?, synchronous := true)", storedName, port);
    }

    private void call(String sql, String host, int port) throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement(sql)) {
            ps.setString(1, host);
            ps.setInt(2, port);
            ps.execute();
        }
    }

    /**
     * A statement the coordinator refused, as its message; a failure that ended the session is thrown on (then the
     * loop drops the session and with it the right to act). Every write and check that may be refused goes through
     * here, so "refused" and "session lost" are told apart in one place.
     */
    public String refusal(SQLException e) throws SQLException {
        if (broken(e)) {
            throw e;
        }
        return SqlErrors.message(e);
    }

    /** Whether the failure ended this session (then the lock is gone too and the session must be dropped). */
    public boolean broken(SQLException e) {
        try {
            return connection.isClosed() || SqlErrors.sessionLost(e);
        } catch (SQLException closed) {
            return true;
        }
    }

    /** From another thread: drops the socket at once, so a statement in flight cannot delay shutdown. */
    public void abort() {
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

    private interface Work {
        void run(Statement statement) throws SQLException;
    }

    private void inTransaction(Work work) throws SQLException {
        connection.setAutoCommit(false);
        try (Statement s = connection.createStatement()) {
            work.run(s);
            connection.commit();
        } catch (SQLException e) {
            rollbackQuietly();
            throw e;
        } finally {
            if (!connection.isClosed()) {
                connection.setAutoCommit(true);
            }
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
