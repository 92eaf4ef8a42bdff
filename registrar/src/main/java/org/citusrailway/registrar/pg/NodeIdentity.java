package org.citusrailway.registrar.pg;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import org.citusrailway.registrar.result.RestoreTarget;

/**
 * What a node says about itself: its citus extension's version (null: not created in this database), its Citus
 * server_id (made with its data directory, so a wiped or copied volume tells itself apart) and the restore point its
 * volume was restored to (null: never restored). Read the same way from the coordinator's session and from a probed
 * worker, so the two can be compared.
 */
public record NodeIdentity(String citusVersion, String serverId, String restoredTo) {

    public static NodeIdentity read(Statement statement) throws SQLException {
        String version;
        try (ResultSet rs = statement.executeQuery(
                "select extversion from pg_catalog.pg_extension where extname = 'citus'")) {
            version = rs.next() ? rs.getString(1) : null;
        }
        if (version == null) {
            return new NodeIdentity(null, null, null);
        }
        try (ResultSet rs = statement.executeQuery("select metadata->>'server_id', nullif(current_setting('"
                + RestoreTarget.SETTING + "', true), '') from pg_catalog.pg_dist_node_metadata")) {
            return rs.next() ? new NodeIdentity(version, rs.getString(1), rs.getString(2))
                    : new NodeIdentity(version, null, null);
        }
    }
}
