package org.citusrailway.registrar.backup;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Instant;
import org.citusrailway.registrar.row.StanzaBackup;
import org.citusrailway.registrar.row.VolumeUsage;

/**
 * A node's backups as its own script offers them (node/backup-command.sh, named by the node's setting
 * {@code citus_node.backup_command}): run on the node through {@code COPY ... FROM PROGRAM}, which needs no agent,
 * no open port and no copy of the bucket's credentials here. The script answers one line of JSON, which the node
 * itself parses into columns. A node without a bucket has no such setting.
 */
public final class NodeBackupCommand {
    public static final String SETTING = "citus_node.backup_command";


    /**
     * The stanza's backups: the newest, the newest full one, how many, and the newest restore point noted on them.
     * error is set (and the rest empty) when pgBackRest could not read the stanza.
     */
    public record Info(StanzaBackup newest, Instant newestFullAt, int count, String newestPoint, Instant newestPointAt,
            String error, int stanzaCode, String stanzaMessage) {

        /** pgBackRest's "missing stanza path" / "missing stanza data": the node has not created its stanza yet. */
        public boolean stanzaMissing() {
            return stanzaCode == 1 || stanzaCode == 3;
        }
    }


    private final Connection connection;
    private final String command;

    private NodeBackupCommand(Connection connection, String command) {
        this.connection = connection;
        this.command = command;
    }

    /** The node's backup command, or null when the node has no bucket (or an image without backups). */
    public static NodeBackupCommand of(Connection connection) throws SQLException {
        try (Statement s = connection.createStatement();
                ResultSet rs = s.executeQuery("select current_setting('" + SETTING + "', true)")) {
            String command = rs.next() ? rs.getString(1) : null;
            return command == null || command.isBlank() ? null : new NodeBackupCommand(connection, command.strip());
        }
    }

    /** Takes a backup; null when it succeeded, else pgBackRest's error. */
    public String backup(String type) throws SQLException {
        return run("backup " + type, "select j->>'error' from answer");
    }

    /** Notes a restore point on the stanza's newest backup; null when it succeeded, else why not. */
    public String recordPoint(String name, Instant at) throws SQLException {
        return run("record-point " + name + " " + at, "select j->>'error' from answer");
    }

    public Info info() throws SQLException {
        try (ResultSet rs = query("info", """
                select j->>'error',
                       newest.label, newest.type, newest.stop, newest.size,
                       (select max(to_timestamp((b->'timestamp'->>'stop')::bigint)) from backups where b->>'type' = 'full'),
                       (select count(*) from backups),
                       point.name, point.at,
                       coalesce((j->'info'->0->'status'->>'code')::int, -1), j->'info'->0->'status'->>'message'
                from answer
                left join lateral (select b->>'label' as label, b->>'type' as type,
                                          to_timestamp((b->'timestamp'->>'stop')::bigint) as stop,
                                          (b->'info'->'repository'->>'size')::bigint as size
                                   from backups order by (b->'timestamp'->>'stop')::bigint desc limit 1) newest on true
                left join lateral (select a.key as name, a.value::timestamptz as at
                                   from backups, json_each_text(coalesce(b->'annotation', '{}')) a
                                   where a.value ~ '^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ$'
                                   order by a.value desc limit 1) point on true""")) {
            rs.next();
            String error = rs.getString(1);
            StanzaBackup newest = rs.getString(2) == null ? null
                    : new StanzaBackup(rs.getString(2), rs.getString(3), instant(rs.getTimestamp(4)), rs.getLong(5));
            return new Info(newest, instant(rs.getTimestamp(6)), rs.getInt(7), rs.getString(8),
                    instant(rs.getTimestamp(9)), error, rs.getInt(10), rs.getString(11));
        }
    }

    /** The volume's figures, or null when the node could not read them. */
    public VolumeUsage disk() throws SQLException {
        try (ResultSet rs = query("disk", "select j->>'error', (j->>'volumeBytes')::bigint, (j->>'freeBytes')::bigint,"
                + " (j->>'walBytes')::bigint from answer")) {
            rs.next();
            return rs.getString(1) != null ? null : new VolumeUsage(rs.getLong(2), rs.getLong(3), rs.getLong(4));
        }
    }

    private String run(String action, String select) throws SQLException {
        try (ResultSet rs = query(action, select)) {
            return rs.next() ? rs.getString(1) : "the node's backup command printed nothing";
        }
    }

    /**
     * Runs the script with {@code action} into a temporary table, then {@code select} over {@code answer(j json)}
     * and {@code backups(b json)} (pgBackRest's backups, for info). CSV with quote and delimiter characters JSON
     * never holds keeps every byte of the line as it was printed.
     */
    private ResultSet query(String action, String select) throws SQLException {
        try (Statement s = connection.createStatement()) {
            s.execute("create temporary table if not exists citus_registrar_backup_answer (line text)");
            s.execute("truncate citus_registrar_backup_answer");
            s.execute("copy citus_registrar_backup_answer from program " + literal(command + " " + action)
                    + " with (format csv, delimiter e'\\x01', quote e'\\x02')");
        }
        PreparedStatement statement = connection.prepareStatement("with answer as (select line::json as j"
                + " from citus_registrar_backup_answer where line like '{%' limit 1),"
                + " backups as (select value as b from answer, json_array_elements(coalesce(j->'info'->0->'backup', '[]'))) "
                + select);
        statement.closeOnCompletion();
        return statement.executeQuery();
    }

    private static String literal(String text) {
        return "'" + text.replace("'", "''") + "'";
    }

    private static Instant instant(Timestamp timestamp) {
        return timestamp == null ? null : timestamp.toInstant();
    }
}
