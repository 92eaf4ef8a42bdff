package org.citusrailway.registrar.result;

import java.util.Objects;

/**
 * Whether a worker's data comes from the same point in time as the coordinator's after a restore from the bucket
 * (node/lib/restore.sh sets {@value #SETTING} on a restored node). A worker restored to another point, or one the
 * coordinator already knew before its own restore that was not restored with it, holds shards from another time
 * than the coordinator's metadata: it is refused.
 */
public final class RestoreTarget {
    public static final String SETTING = "citus_node.restored_to";

    private RestoreTarget() {
    }

    /**
     * @param coordinatorPoint the coordinator's restore point, or null
     * @param workerPoint      the worker's restore point, or null
     * @param known            whether citus_registrar.known_workers has a row for the worker
     * @param seenUnder        that row's restore point: the coordinator's when the worker was first seen
     */
    public static boolean mismatch(String coordinatorPoint, String workerPoint, boolean known, String seenUnder) {
        if (workerPoint != null) {
            return mismatch(coordinatorPoint, workerPoint);
        }
        return coordinatorPoint != null && known && !Objects.equals(coordinatorPoint, seenUnder);
    }

    /** A worker the registrar has no row for: only a restore point of its own can set it apart. */
    public static boolean mismatch(String coordinatorPoint, String workerPoint) {
        return workerPoint != null && !workerPoint.equals(coordinatorPoint);
    }
}
