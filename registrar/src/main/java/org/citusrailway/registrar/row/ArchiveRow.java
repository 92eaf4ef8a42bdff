package org.citusrailway.registrar.row;

import java.time.Instant;
import org.citusrailway.registrar.name.HostPort;

/**
 * One node's WAL archiving as pg_stat_archiver and its pg_wal directory show it.
 *
 * @param answered      false when the node could not be asked (the other fields are empty)
 * @param mode          archive_mode: off, on or always
 * @param readySegments WAL segments waiting to be archived (archive_status/*.ready)
 * @param walBytes      the size of pg_wal: what the node keeps while archiving lags
 * @param notArchivedBytes   WAL written but not yet in the bucket: what a lost volume would lose (null: unknown)
 * @param notArchivedSeconds how long since the node last archived a segment, while such WAL waits (0 when none)
 */
public record ArchiveRow(HostPort node, boolean answered, String mode, long archived, long failed, Instant lastArchivedAt,
        Instant lastFailedAt, String lastFailedWal, long readySegments, long walBytes, Long notArchivedBytes,
        Long notArchivedSeconds) {

    public static ArchiveRow unanswered(HostPort node) {
        return new ArchiveRow(node, false, null, 0, 0, null, null, null, 0, 0, null, null);
    }

    /** The archiver's latest attempt failed: WAL piles up in pg_wal until an attempt succeeds. */
    public boolean failing() {
        return answered && !"off".equals(mode) && lastFailedAt != null
                && (lastArchivedAt == null || lastFailedAt.isAfter(lastArchivedAt));
    }
}
