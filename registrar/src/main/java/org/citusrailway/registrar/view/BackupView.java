package org.citusrailway.registrar.view;

import java.time.Instant;
import java.util.List;

/** Everything /status shows of backups. pendingPoint is null when no point waits for its WAL. */
public record BackupView(Instant checkedAt, String lastRestorePoint, Instant lastRestorePointAt,
        PendingPoint pendingPoint, List<NodeBackups> nodes) {
    public static final BackupView NONE = new BackupView(null, null, null, null, List.of());
}
