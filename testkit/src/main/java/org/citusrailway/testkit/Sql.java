package org.citusrailway.testkit;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/**
 * Statements for tests, each on a connection of its own from a {@link Connector}: a single value, rows, or no result.
 * Parameters are bound in order ({@code ?}). A failure is an IllegalStateException whose message names the statement
 * and the server's message, so a failed set-up or check says which SQL it was.
 */
public final class Sql {
    /** Opens a new connection for each statement. */
    @FunctionalInterface
    public interface Connector {
        Connection connect() throws SQLException;
    }

    /** Reads one row. */
    @FunctionalInterface
    public interface RowReader<T> {
        T read(ResultSet row) throws SQLException;
    }

    private final Connector connector;

    private Sql(Connector connector) {
        this.connector = connector;
    }

    public static Sql on(Connector connector) {
        return new Sql(connector);
    }

    /** The first column of the first row as text; null when there is no row (or the value is NULL). */
    public String value(String sql, Object... args) {
        try (Connection c = connector.connect()) {
            return value(c, sql, args);
        } catch (SQLException e) {
            throw failed(sql, e);
        }
    }

    /** The first column of the first row as a number (a count, usually). */
    public long number(String sql, Object... args) {
        String value = value(sql, args);
        if (value == null) {
            throw new IllegalStateException(sql + ": no value");
        }
        return Long.parseLong(value);
    }

    /** Every row, each read by {@code reader}. */
    public <T> List<T> rows(String sql, RowReader<T> reader, Object... args) {
        try (Connection c = connector.connect()) {
            return rows(c, sql, reader, args);
        } catch (SQLException e) {
            throw failed(sql, e);
        }
    }

    /** Every row, each as its columns' text. */
    public List<List<String>> rows(String sql, Object... args) {
        return rows(sql, Sql::columns, args);
    }

    /** One statement, or several separated by semicolons when there are no parameters. */
    public void execute(String sql, Object... args) {
        try (Connection c = connector.connect()) {
            execute(c, sql, args);
        } catch (SQLException e) {
            throw failed(sql, e);
        }
    }

    /** Statements in order on one connection (a session: a temporary table made by one is seen by the next). */
    public void executeAll(String... statements) {
        try (Connection c = connector.connect(); Statement s = c.createStatement()) {
            for (String sql : statements) {
                try {
                    s.execute(sql);
                } catch (SQLException e) {
                    throw failed(sql, e);
                }
            }
        } catch (SQLException e) {
            throw failed(String.join("; ", statements), e);
        }
    }

    // ---- on a connection the caller holds (a session that must stay open, a lock holder, fast polling) ----------

    public static String value(Connection c, String sql, Object... args) {
        try (PreparedStatement ps = prepare(c, sql, args); ResultSet rs = ps.executeQuery()) {
            return rs.next() ? rs.getString(1) : null;
        } catch (SQLException e) {
            throw failed(sql, e);
        }
    }

    public static <T> List<T> rows(Connection c, String sql, RowReader<T> reader, Object... args) {
        try (PreparedStatement ps = prepare(c, sql, args); ResultSet rs = ps.executeQuery()) {
            List<T> rows = new ArrayList<>();
            while (rs.next()) {
                rows.add(reader.read(rs));
            }
            return rows;
        } catch (SQLException e) {
            throw failed(sql, e);
        }
    }

    public static void execute(Connection c, String sql, Object... args) {
        try {
            if (args.length == 0) {
                try (Statement s = c.createStatement()) {
                    s.execute(sql);
                }
            } else {
                try (PreparedStatement ps = prepare(c, sql, args)) {
                    ps.execute();
                }
            }
        } catch (SQLException e) {
            throw failed(sql, e);
        }
    }

    private static PreparedStatement prepare(Connection c, String sql, Object... args) throws SQLException {
        PreparedStatement ps = c.prepareStatement(sql);
        try {
            for (int i = 0; i < args.length; i++) {
                ps.setObject(i + 1, args[i]);
            }
        } catch (SQLException e) {
            ps.close();
            throw e;
        }
        return ps;
    }

    private static List<String> columns(ResultSet row) throws SQLException {
        int n = row.getMetaData().getColumnCount();
        List<String> columns = new ArrayList<>(n);
        for (int i = 1; i <= n; i++) {
            columns.add(row.getString(i));
        }
        return columns;
    }

    private static IllegalStateException failed(String sql, SQLException e) {
        String state = e.getSQLState() == null ? "" : " [" + e.getSQLState() + "]";
        return new IllegalStateException(sql + ": " + e.getMessage() + state, e);
    }
}
