package org.citusrailway.registrar.backup;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * Whether a restore point is in a node's bucket yet. A point is a record in the node's WAL; the archiver pushes WAL
 * a whole segment at a time, once the segment is closed (by filling up, by {@code archive_timeout}, or by a switch).
 * Until the segment holding the point is archived, a restore to it cannot reach it on this node: a lost volume takes
 * the point with it. The archiver works oldest first and stops at a segment it cannot push, so once that segment is
 * pushed every segment before it is too.
 */
public final class PointArchive {
    /** SQL for the node's current timeline, as the first 8 hex digits of its WAL segment names. */
    public static final String TIMELINE = "substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8)";

    private PointArchive() {
    }

    /**
     * The node's timeline (8 hex digits). A segment of another timeline than the node's is not this server's to
     * archive: the node failed over since (a promoted standby answers under the same name).
     */
    public static String timeline(Connection connection) throws SQLException {
        try (Statement s = connection.createStatement(); ResultSet rs = s.executeQuery("select " + TIMELINE)) {
            rs.next();
            return rs.getString(1);
        }
    }

    /** Closes the node's current WAL segment, which holds everything written so far, and names it. */
    public static String closeSegment(Connection connection) throws SQLException {
        try (Statement s = connection.createStatement();
                ResultSet rs = s.executeQuery("select pg_walfile_name(pg_switch_wal())")) {
            rs.next();
            return rs.getString(1);
        }
    }

    /**
     * Null once the segment is archived (PostgreSQL keeps a segment's {@code .ready} file until archive_command
     * succeeds for it); else what holds it back, from pg_stat_archiver.
     */
    public static String notArchivedBecause(Connection connection, String segment) throws SQLException {
        try (PreparedStatement s = connection.prepareStatement("select exists (select 1 from pg_ls_archive_statusdir()"
                + " where name = ? || '.ready'), last_failed_wal, last_failed_time, last_archived_time"
                + " from pg_stat_archiver")) {
            s.setString(1, segment);
            try (ResultSet rs = s.executeQuery()) {
                rs.next();
                if (!rs.getBoolean(1)) {
                    return null;
                }
                java.sql.Timestamp failed = rs.getTimestamp(3);
                java.sql.Timestamp archived = rs.getTimestamp(4);
                if (failed != null && (archived == null || failed.after(archived))) {
                    return "segment " + segment + " waits: archiving " + rs.getString(2) + " failed at "
                            + failed.toInstant() + " (see wal-archive-failing)";
                }
                return "segment " + segment + " is not archived yet";
            }
        }
    }
}
