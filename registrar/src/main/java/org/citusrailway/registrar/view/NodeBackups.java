package org.citusrailway.registrar.view;

import java.time.Instant;
import org.citusrailway.registrar.name.HostPort;
import org.citusrailway.registrar.row.StanzaBackup;
import org.citusrailway.registrar.row.VolumeUsage;

/**
 * One node's backups as last seen, for /status and /metrics. A change of one kind is one wither, so a new field is
 * one constructor call to touch here, not one per caller.
 *
 * @param newestPoint    the newest restore point noted in the node's stanza: the newest it can be restored to
 * @param bucketReadable its stanza was read this round; when not, what is shown of its backups is from before
 */
public record NodeBackups(HostPort node, boolean reachable, boolean configured, String running, StanzaBackup newest,
        Instant newestFullAt, int count, String newestPoint, String lastError, Instant lastErrorAt, int failures,
        Instant retryAfter, VolumeUsage disk, boolean stanzaReady, boolean bucketReadable) {

    public static NodeBackups unseen(HostPort node) {
        return new NodeBackups(node, false, false, null, null, null, 0, null, null, null, 0, null, null, false, false);
    }

    /** Answered this round; {@code configured}: it has a bucket. Nothing of its stanza is known yet. */
    public static NodeBackups reached(HostPort node, boolean configured, VolumeUsage disk) {
        return new NodeBackups(node, true, configured, null, null, null, 0, null, null, null, 0, null, disk, false,
                false);
    }

    /** Its stanza as read this round. */
    public NodeBackups stanza(StanzaBackup newest, Instant newestFullAt, int count, String newestPoint) {
        return new NodeBackups(node, reachable, configured, null, newest, newestFullAt, count, newestPoint, lastError,
                lastErrorAt, failures, retryAfter, disk, true, true);
    }

    /** A stanza not created yet: the bucket answered, there is nothing in it. */
    public NodeBackups stanzaMissing() {
        return new NodeBackups(node, reachable, configured, running, newest, newestFullAt, count, newestPoint,
                lastError, lastErrorAt, failures, retryAfter, disk, false, true);
    }

    public NodeBackups running(String type) {
        return new NodeBackups(node, reachable, configured, type, newest, newestFullAt, count, newestPoint, lastError,
                lastErrorAt, failures, retryAfter, disk, stanzaReady, bucketReadable);
    }

    /** The error of the latest attempt, or null when it went well. */
    public NodeBackups error(String error, Instant at) {
        return new NodeBackups(node, reachable, configured, running, newest, newestFullAt, count, newestPoint, error,
                at, failures, retryAfter, disk, stanzaReady, bucketReadable);
    }

    public NodeBackups failures(int failures, Instant retryAfter) {
        return new NodeBackups(node, reachable, configured, running, newest, newestFullAt, count, newestPoint,
                lastError, lastErrorAt, failures, retryAfter, disk, stanzaReady, bucketReadable);
    }

    /** A backup went well: its error and failures are over. */
    public NodeBackups succeeded() {
        return new NodeBackups(node, true, true, null, newest, newestFullAt, count, newestPoint, null, null, 0, null,
                disk, true, true);
    }

    /** A backup failed, for the {@code failures}th time in a row: not again before {@code retryAfter}. */
    public NodeBackups failed(String error, Instant at, int failures, Instant retryAfter) {
        return new NodeBackups(node, reachable, true, null, newest, newestFullAt, count, newestPoint, error, at,
                failures, retryAfter, disk, stanzaReady, bucketReadable);
    }

    /** What a look that failed leaves: the backups as last seen, with the error of this look. */
    public NodeBackups unread(boolean reachable, boolean configured, String error, Instant at, VolumeUsage disk) {
        return new NodeBackups(node, reachable, configured, null, newest, newestFullAt, count, newestPoint, error, at,
                failures, retryAfter, disk, stanzaReady, false);
    }
}
