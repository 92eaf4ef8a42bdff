package org.citusrailway.registrar.coordinator;

import java.sql.SQLException;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.citusrailway.registrar.config.HostPort;

/**
 * citus_registrar.known_workers, cached for the leader's session: every worker seen registered, with the Citus
 * server_id it had then. Two safety nets hang on it. A known worker that leaves pg_dist_node while its name still
 * resolves was removed by a user, so it is retired rather than re-added. A registered worker that answers with another
 * server_id had its data directory wiped: its shards are gone, which must be reported, never papered over. The
 * server_id is compared once per leadership and again whenever a lost worker comes back. Loop thread only.
 */
public final class KnownWorkers {
    public static final String REMOVED_NOTE = "removed from pg_dist_node outside the registrar";

    private Map<HostPort, CoordinatorSession.KnownWorker> rows = new HashMap<>();
    /** Compared since leadership started and not lost since. */
    private final Set<HostPort> verified = new HashSet<>();
    /** Workers whose server_id differs from the recorded one → the id they answer with now. */
    private final Map<HostPort, String> reinitialised = new HashMap<>();

    /** At leadership: the table is the truth, and every worker is compared again. */
    public void load(CoordinatorSession session) throws SQLException {
        rows = session.knownWorkers();
        verified.clear();
        reinitialised.clear();
    }

    public List<HostPort> all() {
        return List.copyOf(rows.keySet());
    }

    public String recordedId(HostPort worker) {
        CoordinatorSession.KnownWorker row = rows.get(worker);
        return row == null ? null : row.serverId();
    }

    /** Whether the worker is in the table, and its row's restore point (see {@link RestoreTarget}). */
    public boolean knows(HostPort worker) {
        return rows.containsKey(worker);
    }

    public String seenUnder(HostPort worker) {
        CoordinatorSession.KnownWorker row = rows.get(worker);
        return row == null ? null : row.restorePoint();
    }

    public boolean needsVerification(HostPort worker) {
        return !verified.contains(worker);
    }

    /** A lost worker may come back as anything: compare again when it answers. */
    public void lost(HostPort worker) {
        verified.remove(worker);
    }

    public boolean isReinitialised(HostPort worker) {
        return reinitialised.containsKey(worker);
    }

    public Set<HostPort> reinitialised() {
        return Set.copyOf(reinitialised.keySet());
    }

    /**
     * Compares the server_id a registered worker answers with against the recorded one; records it when the worker is
     * not known yet (registered before this table existed, or by hand). Returns true when it differs.
     */
    public boolean verify(CoordinatorSession session, HostPort worker, String currentId) throws SQLException {
        if (currentId == null || currentId.isEmpty()) {
            return false;
        }
        if (!rows.containsKey(worker)) {
            remember(session, worker, currentId);
        }
        String recorded = recordedId(worker);
        if (recorded == null || recorded.equals(currentId)) {
            verified.add(worker);
            reinitialised.remove(worker);
            return false;
        }
        verified.remove(worker);
        reinitialised.put(worker, currentId);
        return true;
    }

    /** After citus_add_node: the id the probe just saw. */
    public void remember(CoordinatorSession session, HostPort worker, String serverId) throws SQLException {
        session.rememberWorker(worker, serverId);
        rows.putIfAbsent(worker, new CoordinatorSession.KnownWorker(serverId, session.restoredTo()));
        verified.add(worker);
    }

    public void forget(CoordinatorSession session, HostPort worker) throws SQLException {
        session.forgetWorker(worker);
        drop(worker);
    }

    /** A user removed it from pg_dist_node: record that in retired_workers so the registrar does not fight them. */
    public void retire(CoordinatorSession session, HostPort worker) throws SQLException {
        session.retireRemovedWorker(worker, REMOVED_NOTE);
        drop(worker);
    }

    private void drop(HostPort worker) {
        rows.remove(worker);
        verified.remove(worker);
        reinitialised.remove(worker);
    }
}
