package org.citusrailway.registrar.reconcile;

import java.util.List;
import java.util.Set;
import org.citusrailway.registrar.name.HostPort;

/**
 * What a pass decided ({@link Planner#plan}): the writes to apply, in order, and the memory and effects of deciding.
 *
 * @param actions          bookkeeping of the registrar's own tables first, then the coordinator row, additions
 *                         (each followed by recording its server_id), disabling, activations
 * @param retired          retired names, with those retired by this plan
 * @param memory           the memory after deciding, before the outcome of the actions is known
 * @param effects          log lines and counters of deciding
 * @param rereadCoordinator the coordinator's identity must be read again (a worker had another citus version)
 */
public record Plan(List<Action> actions, Set<String> retired, LeaderState memory, List<PassEffect> effects,
        boolean rereadCoordinator) {

    /**
     * Whether an action is left out because one it depends on failed in this pass: recording a worker's server_id
     * after its citus_add_node was refused.
     */
    public static boolean skipped(Action action, List<Outcome> before) {
        return action instanceof Action.RememberWorker remember && before.stream().anyMatch(outcome ->
                outcome instanceof Outcome.Failed failed && failed.action() instanceof Action.AddNode add
                        && add.worker().equals(remember.worker()));
    }

    /** How an action went: applied, or failed with the coordinator's error (transient: the worker was restarting). */
    public sealed interface Outcome {
        record Applied(Action action) implements Outcome {
        }

        record Failed(Action action, String error, boolean transientFailure) implements Outcome {
        }
    }

    /**
     * After the actions: the next memory and what to publish.
     *
     * @param nudgeRebalance a worker joined, came back or was disabled: the rebalancer should check what is owed
     * @param unreachable    active workers that failed this pass's check: a rebalance now would fail
     */
    public record AfterWrites(LeaderState memory, List<PassEffect> effects, boolean nudgeRebalance, int active,
            int inactive, int lost, List<HostPort> unreachable) {
    }
}
