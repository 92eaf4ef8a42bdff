package org.citusrailway.registrar.reconcile;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.citusrailway.registrar.name.HostPort;
import org.citusrailway.registrar.name.Resolution;
import org.citusrailway.registrar.row.NodeRow;

/** Known workers missing from pg_dist_node, by what becomes of them. */
record Removals(Map<HostPort, String> forgotten, List<HostPort> removedByUser) {

    /**
     * Retired ones went the documented way and are forgotten; one that still resolves was removed by hand and is
     * retired so it is not re-added behind the user's back; one that no longer resolves is gone for good and
     * forgotten (if its name comes back, it is a new worker). A lookup timeout decides nothing.
     */
    static Removals of(Map<HostPort, NodeRow> registered, Set<String> retired, Map<String, Resolution> resolutions,
            KnownWorkers known) {
        Map<HostPort, String> forgotten = new LinkedHashMap<>();
        List<HostPort> removedByUser = new ArrayList<>();
        for (HostPort worker : known.all()) {
            if (registered.containsKey(worker)) {
                continue;
            }
            Resolution resolution = resolutions.get(worker.host());
            if (retired.contains(worker.host())) {
                forgotten.put(worker, "worker " + worker + " is retired and no longer in pg_dist_node; forgotten");
            } else if (resolution != null && resolution.fresh()) {
                removedByUser.add(worker);
            } else if (resolution != null && Resolution.NOT_FOUND.equals(resolution.problem())) {
                forgotten.put(worker, "worker " + worker + " left pg_dist_node and no longer resolves; forgotten (a"
                        + " worker that appears later under this name is treated as new)");
            }
        }
        return new Removals(forgotten, removedByUser);
    }

    /** The names this makes retired: those removed by hand. */
    Set<String> retired() {
        Set<String> names = new HashSet<>();
        removedByUser.forEach(worker -> names.add(worker.host()));
        return names;
    }
}
