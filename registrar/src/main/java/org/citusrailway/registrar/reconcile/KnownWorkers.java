package org.citusrailway.registrar.reconcile;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.citusrailway.registrar.name.HostPort;
import org.citusrailway.registrar.result.RestoreTarget;
import org.citusrailway.registrar.row.KnownWorkerRow;

/**
 * citus_registrar.known_workers as the leader knows it: every worker seen registered, with the Citus server_id it
 * had then. Two safety nets hang on it. A known worker that leaves pg_dist_node while its name still resolves was
 * removed by a user, so it is retired rather than re-added. A registered worker that answers with another server_id
 * had its data directory wiped: its shards are gone, which must be reported, never papered over. The server_id is
 * compared once per leadership and again whenever a lost worker comes back. Immutable; the table is written by the
 * pass's apply step.
 *
 * @param verified      compared since leadership started and not lost since
 * @param reinitialised workers whose server_id differs from the recorded one → the id they answer with now
 */
public record KnownWorkers(Map<HostPort, KnownWorkerRow> rows, Set<HostPort> verified,
        Map<HostPort, String> reinitialised) {
    public static final String REMOVED_NOTE = "removed from pg_dist_node outside the registrar";

    /** At leadership: the table is the truth, and every worker is compared again. */
    public static KnownWorkers loaded(Map<HostPort, KnownWorkerRow> rows) {
        return new KnownWorkers(Map.copyOf(rows), Set.of(), Map.of());
    }

    /** Every known worker, in a stable order (events about them come out in it). */
    List<HostPort> all() {
        List<HostPort> all = new ArrayList<>(rows.keySet());
        all.sort(null);
        return all;
    }

    boolean knows(HostPort worker) {
        return rows.containsKey(worker);
    }

    String recordedId(HostPort worker) {
        KnownWorkerRow row = rows.get(worker);
        return row == null ? null : row.serverId();
    }

    /** The coordinator's restore point when the worker was first seen (see {@link RestoreTarget}). */
    String seenUnder(HostPort worker) {
        KnownWorkerRow row = rows.get(worker);
        return row == null ? null : row.restorePoint();
    }

    boolean needsVerification(HostPort worker) {
        return !verified.contains(worker);
    }

    public boolean isReinitialised(HostPort worker) {
        return reinitialised.containsKey(worker);
    }

    /** A lost worker may come back as anything: compare again when it answers. */
    KnownWorkers lost(HostPort worker) {
        Set<HostPort> v = new HashSet<>(verified);
        v.remove(worker);
        return new KnownWorkers(rows, Set.copyOf(v), reinitialised);
    }

    /** A row for a registered worker; an existing one (and its server_id) is never overwritten. */
    KnownWorkers remembered(HostPort worker, String serverId, String restorePoint) {
        Map<HostPort, KnownWorkerRow> r = new HashMap<>(rows);
        r.putIfAbsent(worker, new KnownWorkerRow(serverId, restorePoint));
        Set<HostPort> v = new HashSet<>(verified);
        v.add(worker);
        return new KnownWorkers(Map.copyOf(r), Set.copyOf(v), reinitialised);
    }

    /** The server_id a registered worker answers with: the same as recorded, or another one. */
    KnownWorkers compared(HostPort worker, String currentId) {
        String recorded = recordedId(worker);
        Set<HostPort> v = new HashSet<>(verified);
        Map<HostPort, String> re = new HashMap<>(reinitialised);
        if (recorded == null || recorded.equals(currentId)) {
            v.add(worker);
            re.remove(worker);
        } else {
            v.remove(worker);
            re.put(worker, currentId);
        }
        return new KnownWorkers(rows, Set.copyOf(v), Map.copyOf(re));
    }

    KnownWorkers dropped(HostPort worker) {
        Map<HostPort, KnownWorkerRow> r = new HashMap<>(rows);
        r.remove(worker);
        Set<HostPort> v = new HashSet<>(verified);
        v.remove(worker);
        Map<HostPort, String> re = new HashMap<>(reinitialised);
        re.remove(worker);
        return new KnownWorkers(Map.copyOf(r), Set.copyOf(v), Map.copyOf(re));
    }
}
