package org.citusrailway.registrar.backup;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.citusrailway.registrar.config.BackupSchedule;
import org.citusrailway.registrar.name.HostPort;

/**
 * What a backup round does, as a pure function of what the round saw and the time passed in: the writes to make
 * ({@link Action}s): which backup each node needs, and whether to mark the cluster with a restore point. A point always follows the round's backups, so every node's newest backup
 * precedes it and a restore to it can start there.
 */
public final class BackupPlan {
    private BackupPlan() {
    }

    /**
     * One node as the round saw it.
     *
     * @param configured   the node has a bucket (its backup command is set), answered, and its stanza could be read
     * @param newestFullAt when its newest full backup finished, or null
     * @param newestAt     when its newest backup of any kind finished, or null
     * @param retryAfter   after a failed backup: not before this time
     */
    public record NodeSeen(HostPort node, boolean configured, Instant newestFullAt, Instant newestAt,
            Instant retryAfter) {
    }

    /** A write a round plans; the scheduler applies them in order, one at a time. */
    public sealed interface Action {
        /** A "full" or "diff" backup of one node, through the node's own backup command. */
        record TakeBackup(HostPort node, String type) implements Action {
        }

        /** citus_create_restore_point, after the round's backups: every node's newest backup precedes it. */
        record CreateRestorePoint() implements Action {
        }
    }

    /** Backups to take, one node after the other, then a restore point or not. */
    public record Round(List<Action> actions) {
        static final Round NOTHING = new Round(List.of());

        /** The backups in order, each node's type ("full" or "diff"). */
        public Map<HostPort, String> backups() {
            Map<HostPort, String> backups = new LinkedHashMap<>();
            for (Action action : actions) {
                if (action instanceof Action.TakeBackup backup) {
                    backups.put(backup.node(), backup.type());
                }
            }
            return Collections.unmodifiableMap(backups);
        }

        public boolean restorePoint() {
            return actions.stream().anyMatch(Action.CreateRestorePoint.class::isInstance);
        }
    }

    /**
     * @param pointBlocked no new point now: the last one is not restorable yet, or a node's bucket could not be read
     *                     (a point made then could not be noted there)
     */
    public static Round plan(List<NodeSeen> nodes, Instant newestPointAt, boolean pointBlocked, Instant now,
            BackupSchedule schedule) {
        List<Action> actions = new ArrayList<>();
        boolean anyBackup = false;
        for (NodeSeen node : nodes) {
            if (!node.configured()) {
                continue;
            }
            anyBackup |= node.newestAt() != null;
            if (node.retryAfter() != null && now.isBefore(node.retryAfter())) {
                continue;
            }
            if (olderThan(node.newestFullAt(), schedule.fullEvery(), now)) {
                actions.add(new Action.TakeBackup(node.node(), "full"));
            } else if (!schedule.diffEvery().isZero() && olderThan(node.newestAt(), schedule.diffEvery(), now)) {
                actions.add(new Action.TakeBackup(node.node(), "diff"));
            }
        }
        boolean point = !pointBlocked && (!actions.isEmpty() || anyBackup && !schedule.restorePointEvery().isZero()
                && olderThan(newestPointAt, schedule.restorePointEvery(), now));
        if (point) {
            actions.add(new Action.CreateRestorePoint());
        }
        return actions.isEmpty() ? Round.NOTHING : new Round(List.copyOf(actions));
    }

    /** Never happened, or at least {@code every} ago. */
    private static boolean olderThan(Instant at, Duration every, Instant now) {
        return at == null || !at.plus(every).isAfter(now);
    }
}
