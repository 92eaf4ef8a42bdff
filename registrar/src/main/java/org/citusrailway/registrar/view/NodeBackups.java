package org.citusrailway.registrar.view;

import java.time.Instant;
import org.citusrailway.registrar.name.HostPort;
import org.citusrailway.registrar.row.StanzaBackup;
import org.citusrailway.registrar.row.VolumeUsage;

/**
 * One node's backups as last seen, for /status and /metrics. Each change is one method naming the fields it sets on
 * an {@link Edit} copy, so a new field is copied in one place.
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
        Edit e = unseen(node).edit();
        e.reachable = true;
        e.configured = configured;
        e.disk = disk;
        return e.done();
    }

    /** Its stanza as read this round. */
    public NodeBackups stanza(StanzaBackup newestBackup, Instant newestFull, int backups, String point) {
        Edit e = edit();
        e.running = null;
        e.newest = newestBackup;
        e.newestFullAt = newestFull;
        e.count = backups;
        e.newestPoint = point;
        e.stanzaReady = true;
        e.bucketReadable = true;
        return e.done();
    }

    /** A stanza not created yet: the bucket answered, there is nothing in it. */
    public NodeBackups stanzaMissing() {
        Edit e = edit();
        e.stanzaReady = false;
        e.bucketReadable = true;
        return e.done();
    }

    public NodeBackups running(String type) {
        Edit e = edit();
        e.running = type;
        return e.done();
    }

    /** The error of the latest attempt, or null when it went well. */
    public NodeBackups error(String error, Instant at) {
        Edit e = edit();
        e.lastError = error;
        e.lastErrorAt = at;
        return e.done();
    }

    public NodeBackups failures(int inARow, Instant notBefore) {
        Edit e = edit();
        e.failures = inARow;
        e.retryAfter = notBefore;
        return e.done();
    }

    /** A backup went well: its error and failures are over. */
    public NodeBackups succeeded() {
        Edit e = edit();
        e.reachable = true;
        e.configured = true;
        e.running = null;
        e.lastError = null;
        e.lastErrorAt = null;
        e.failures = 0;
        e.retryAfter = null;
        e.stanzaReady = true;
        e.bucketReadable = true;
        return e.done();
    }

    /** A backup failed, for the {@code inARow}th time in a row: not again before {@code notBefore}. */
    public NodeBackups failed(String error, Instant at, int inARow, Instant notBefore) {
        Edit e = edit();
        e.configured = true;
        e.running = null;
        e.lastError = error;
        e.lastErrorAt = at;
        e.failures = inARow;
        e.retryAfter = notBefore;
        return e.done();
    }

    /** What a look that failed leaves: the backups as last seen, with the error of this look. */
    public NodeBackups unread(boolean answered, boolean hasBucket, String error, Instant at, VolumeUsage volume) {
        Edit e = edit();
        e.reachable = answered;
        e.configured = hasBucket;
        e.running = null;
        e.lastError = error;
        e.lastErrorAt = at;
        e.disk = volume;
        e.bucketReadable = false;
        return e.done();
    }

    private Edit edit() {
        return new Edit(this);
    }

    /** A copy to change some fields of, then {@link #done()}; lives only inside one of the methods above. */
    private static final class Edit {
        private final HostPort node;
        private boolean reachable;
        private boolean configured;
        private String running;
        private StanzaBackup newest;
        private Instant newestFullAt;
        private int count;
        private String newestPoint;
        private String lastError;
        private Instant lastErrorAt;
        private int failures;
        private Instant retryAfter;
        private VolumeUsage disk;
        private boolean stanzaReady;
        private boolean bucketReadable;

        private Edit(NodeBackups n) {
            node = n.node;
            reachable = n.reachable;
            configured = n.configured;
            running = n.running;
            newest = n.newest;
            newestFullAt = n.newestFullAt;
            count = n.count;
            newestPoint = n.newestPoint;
            lastError = n.lastError;
            lastErrorAt = n.lastErrorAt;
            failures = n.failures;
            retryAfter = n.retryAfter;
            disk = n.disk;
            stanzaReady = n.stanzaReady;
            bucketReadable = n.bucketReadable;
        }

        NodeBackups done() {
            return new NodeBackups(node, reachable, configured, running, newest, newestFullAt, count, newestPoint,
                    lastError, lastErrorAt, failures, retryAfter, disk, stanzaReady, bucketReadable);
        }
    }
}
