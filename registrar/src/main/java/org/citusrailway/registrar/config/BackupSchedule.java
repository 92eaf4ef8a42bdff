package org.citusrailway.registrar.config;

import java.time.Duration;

/**
 * When the leader backs up the nodes that have a bucket and marks the cluster with restore points (see
 * {@link BackupScheduler}). Zero turns differential backups or scheduled restore points off.
 *
 * @param fullEvery            a full backup of a node once its newest full one is this old
 * @param diffEvery            a differential backup once the node's newest backup of any kind is this old
 * @param restorePointEvery    a cluster-wide restore point once the newest one is this old (also after backups)
 * @param checkEvery           how often the nodes' backups and volumes are looked at
 * @param volumeFreeAlertPercent say {@code volume-nearly-full} when a node's volume has less free space than this
 */
public record BackupSchedule(Duration fullEvery, Duration diffEvery, Duration restorePointEvery, Duration checkEvery,
        int volumeFreeAlertPercent) {

    static BackupSchedule read(EnvReader read) {
        Duration full = read.duration("BACKUP_FULL_INTERVAL", Duration.ofDays(7), Duration.ofSeconds(10));
        Duration diff = read.duration("BACKUP_DIFF_INTERVAL", Duration.ofDays(1), Duration.ZERO);
        Duration point = read.duration("RESTORE_POINT_INTERVAL", Duration.ofHours(1), Duration.ZERO);
        Duration check = read.duration("BACKUP_CHECK_INTERVAL", Duration.ofMinutes(1), Duration.ofSeconds(1));
        int alert = read.integer("VOLUME_FREE_ALERT_PERCENT", 10, 1, 90);
        if (!diff.isZero() && diff.compareTo(full) >= 0) {
            throw new ConfigException("BACKUP_DIFF_INTERVAL", "is not shorter than BACKUP_FULL_INTERVAL; set it shorter,"
                    + " or 0 for full backups only");
        }
        return new BackupSchedule(full, diff, point, check, alert);
    }
}
