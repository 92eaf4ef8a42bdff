package org.citusrailway.registrar.reconcile;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.citusrailway.registrar.name.HostPort;
import org.citusrailway.registrar.name.Resolution;
import org.citusrailway.registrar.result.ProbeResult;
import org.citusrailway.registrar.row.NodeRow;

/**
 * What a pass looks at before it plans, decided from what it has read so far and what is remembered: the names to
 * look up, the workers to probe with authentication, the active ones to check with a TCP connect, and which of those
 * also get their identity compared. Part of observation: the plan itself is {@link Planner#plan}'s. Pure.
 *
 * @param probe unregistered candidates that resolve and inactive registered workers (not retired, not backing off)
 * @param check registered active workers
 */
public record Targets(List<HostPort> probe, List<NodeRow> check) {

    /** Every name worth a lookup: the candidates, registered workers and workers the registrar knows. */
    public static Set<String> names(List<HostPort> candidates, List<NodeRow> nodes, LeaderState memory) {
        Set<String> names = new LinkedHashSet<>();
        candidates.forEach(candidate -> names.add(candidate.host()));
        for (NodeRow row : nodes) {
            if (!row.isCoordinator()) {
                names.add(row.key().host());
            }
        }
        for (HostPort worker : memory.known().rows().keySet()) {
            names.add(worker.host());
        }
        return names;
    }

    /**
     * Unregistered candidates that resolve and inactive registered workers are probed (unless retired, or backing
     * off after a failure); active registered workers get a TCP check.
     */
    public static Targets of(List<HostPort> candidates, List<NodeRow> nodes, Set<String> retired,
            Map<String, Resolution> resolutions, LeaderState memory, long now) {
        Map<HostPort, NodeRow> registered = Planner.registered(nodes);
        Set<String> retiredNow = new HashSet<>(retired);
        retiredNow.addAll(Removals.of(registered, retired, resolutions, memory.known()).retired());
        List<HostPort> probe = new ArrayList<>();
        for (HostPort candidate : candidates) {
            if (!registered.containsKey(candidate) && resolutions.get(candidate.host()).resolved()
                    && !retiredNow.contains(candidate.host()) && memory.due(candidate, now)) {
                probe.add(candidate);
            }
        }
        List<NodeRow> check = new ArrayList<>();
        for (NodeRow row : registered.values()) {
            HostPort key = row.key();
            if (!row.isPrimary()) {
                continue;
            }
            if (row.active()) {
                check.add(row);
            } else if (!retiredNow.contains(key.host()) && resolutions.get(key.host()).resolved()
                    && memory.due(key, now)) {
                probe.add(key);
            }
        }
        return new Targets(List.copyOf(probe), List.copyOf(check));
    }

    /**
     * Active workers that answered TCP and have not had their server_id compared since leadership started or since
     * they were last lost: one authenticated probe each.
     */
    public List<HostPort> identityChecks(Map<HostPort, Boolean> alive, LeaderState memory, long now) {
        List<HostPort> verify = new ArrayList<>();
        for (NodeRow row : check) {
            HostPort key = row.key();
            if (Boolean.TRUE.equals(alive.get(key)) && memory.known().needsVerification(key) && memory.due(key, now)) {
                verify.add(key);
            }
        }
        return verify;
    }

    /** The registered workers' server_ids are needed when a new candidate reached the checks. */
    public static boolean needServerIds(List<NodeRow> nodes, Map<HostPort, ProbeResult> probes) {
        if (probes.isEmpty()) {
            return false;
        }
        Map<HostPort, NodeRow> registered = Planner.registered(nodes);
        return probes.entrySet().stream().anyMatch(e -> !registered.containsKey(e.getKey())
                && e.getValue() instanceof ProbeResult.Reached reached && reached.citusVersion() != null);
    }
}
