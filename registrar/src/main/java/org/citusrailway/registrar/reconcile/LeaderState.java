package org.citusrailway.registrar.reconcile;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.citusrailway.registrar.name.HostPort;
import org.citusrailway.registrar.probe.ReadinessWatch;

/**
 * Everything the leader carries from one pass to the next. Immutable: a pass plans the next one.
 *
 * @param workers        per-worker memory, for every name that ever resolved or was registered
 * @param known          citus_registrar.known_workers as loaded at leadership, with what this leadership compared
 * @param disableRefused workers from another point in time that Citus would not disable (they hold the only copy of
 *                       shards): said once
 * @param watch          workers to watch between passes ({@link ReadinessWatch})
 */
public record LeaderState(Map<HostPort, WorkerMemory> workers, KnownWorkers known, Set<HostPort> disableRefused,
        List<ReadinessWatch.Target> watch) {

    public static LeaderState initial() {
        return new LeaderState(Map.of(), KnownWorkers.loaded(Map.of()), Set.of(), List.of());
    }

    /** Leadership (re)acquired: the table is read again and every worker compared again. */
    public LeaderState leading(KnownWorkers loaded) {
        return new LeaderState(workers, loaded, disableRefused, watch);
    }

    WorkerMemory worker(HostPort key) {
        WorkerMemory memory = workers.get(key);
        return memory == null ? WorkerMemory.first(key) : memory;
    }

    boolean remembers(HostPort key) {
        return workers.containsKey(key);
    }

    boolean due(HostPort key, long now) {
        WorkerMemory memory = workers.get(key);
        return memory == null || memory.due(now);
    }

    boolean lost(HostPort key) {
        WorkerMemory memory = workers.get(key);
        return memory != null && memory.lost();
    }

    /** A working copy for one plan: the planner's only mutable state, never visible outside it. */
    static final class Draft {
        final Map<HostPort, WorkerMemory> workers;
        KnownWorkers known;
        final Set<HostPort> disableRefused;

        Draft(LeaderState from) {
            workers = new HashMap<>(from.workers);
            known = from.known;
            disableRefused = new java.util.HashSet<>(from.disableRefused);
        }

        WorkerMemory worker(HostPort key) {
            return workers.computeIfAbsent(key, WorkerMemory::first);
        }

        void put(WorkerMemory memory) {
            workers.put(memory.key(), memory);
        }

        LeaderState memory(List<ReadinessWatch.Target> watch) {
            return new LeaderState(Map.copyOf(workers), known, Set.copyOf(disableRefused), List.copyOf(watch));
        }
    }
}
