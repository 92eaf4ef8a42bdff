package org.citusrailway.registrar.reconcile;

import java.time.Instant;
import java.util.List;
import java.util.Set;
import org.citusrailway.registrar.name.HostPort;
import org.citusrailway.registrar.row.NodeRow;

/**
 * What a pass decided ({@link Planner#plan}): the writes to apply, in order, the memory and effects of deciding, and
 * ({@link #settle}) what each write's outcome means, so applying the plan needs no second decision.
 *
 * @param actions           bookkeeping of the registrar's own tables first, then the coordinator row, additions
 *                          (each followed by recording its server_id), disabling, activations
 * @param retired           retired names, with those retired by this plan
 * @param memory            the memory after deciding, before the outcome of the actions is known
 * @param effects           log lines and counters of deciding
 * @param rereadCoordinator the coordinator's identity must be read again (a worker had another citus version)
 * @param observed          what the plan was made from
 * @param rules             the retry and loss rules the outcomes are judged by
 */
public record Plan(List<Action> actions, Set<String> retired, LeaderState memory, List<PassEffect> effects,
        boolean rereadCoordinator, Snapshot observed, WorkerMemory.Rules rules) {

    /**
     * Whether an action is left out because one it depends on failed in this pass: recording a worker's server_id
     * after its citus_add_node was refused.
     */
    public static boolean skipped(Action action, List<Outcome> before) {
        return action instanceof Action.RememberWorker remember && before.stream().anyMatch(outcome ->
                outcome instanceof Outcome.Failed failed && failed.action() instanceof Action.AddNode add
                        && add.worker().equals(remember.worker()));
    }

    /**
     * The plan applied: the next memory and what to publish, from how its actions went and from this pass's checks of
     * registered workers, against pg_dist_node as it is after the actions.
     *
     * @param nodes pg_dist_node after the actions (the snapshot's rows when nothing changed them)
     * @param now   when the actions had finished (System.nanoTime); {@code at} is the same moment
     */
    public Settled settle(List<Outcome> outcomes, List<NodeRow> nodes, long now, Instant at) {
        return Settlement.settle(this, outcomes, nodes, now, at);
    }

    /** How an action went: applied, or failed with the coordinator's error (transient: the worker was restarting). */
    public sealed interface Outcome {
        record Applied(Action action) implements Outcome {
        }

        record Failed(Action action, String error, boolean transientFailure) implements Outcome {
        }
    }

    /**
     * A plan applied.
     *
     * @param outcomes       how each action went, in order
     * @param nodes          pg_dist_node after the actions
     * @param nudgeRebalance a worker joined, came back or was disabled: the rebalancer should check what is owed
     * @param unreachable    active workers that failed this pass's check: a rebalance now would fail
     */
    public record Settled(List<Outcome> outcomes, List<NodeRow> nodes, LeaderState memory, List<PassEffect> effects,
            boolean nudgeRebalance, int active, int inactive, int lost, List<HostPort> unreachable) {
    }
}
