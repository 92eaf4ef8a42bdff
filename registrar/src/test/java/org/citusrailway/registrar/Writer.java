package org.citusrailway.registrar;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.Map;
import java.util.TreeMap;
import org.citusrailway.registrar.pg.SqlErrors;
import org.citusrailway.testkit.cluster.CitusTestCluster;

/**
 * An application writing throughout a rebalance: single-row autocommit INSERTs of (id, md5(id)) with ids counting up
 * from a start, one at a time. Retry policy: on any error the same row is retried after 50 ms (on a new connection if
 * the old one broke) until it commits; ON CONFLICT DO NOTHING makes a retry after an ambiguous failure (committed but
 * the answer lost) harmless. So rows start..lastCommitted() are exactly the rows that must exist. Every error is
 * counted by SQLSTATE and first line, for the report.
 */
final class Writer implements AutoCloseable {
    private final CitusTestCluster cluster;
    private final Thread thread;
    private final Map<String, Integer> errors = new TreeMap<>();
    private volatile boolean stopped;
    private volatile long lastCommitted;

    Writer(CitusTestCluster cluster, long firstId) {
        this.cluster = cluster;
        this.lastCommitted = firstId - 1;
        this.thread = Thread.ofPlatform().name("writer").start(this::run);
    }

    private void run() {
        long id = lastCommitted + 1;
        Connection connection = null;
        while (!stopped) {
            try {
                if (connection == null || connection.isClosed()) {
                    connection = cluster.connectCoordinator();
                }
                try (PreparedStatement ps = connection.prepareStatement(
                        "insert into items values (?, md5(cast(? as bigint)::text)) on conflict (id) do nothing")) {
                    ps.setLong(1, id);
                    ps.setLong(2, id);
                    ps.executeUpdate();
                }
                lastCommitted = id;
                id++;
            } catch (SQLException e) {
                synchronized (errors) {
                    errors.merge(e.getSQLState() + " " + SqlErrors.message(e), 1, Integer::sum);
                }
                if (SqlErrors.sessionLost(e)) {
                    close(connection);
                    connection = null;
                }
                sleep(50);
            }
        }
        close(connection);
    }

    long lastCommitted() {
        return lastCommitted;
    }

    Map<String, Integer> errors() {
        synchronized (errors) {
            return Map.copyOf(errors);
        }
    }

    @Override
    public void close() throws InterruptedException {
        stopped = true;
        thread.join(30_000);
    }

    private static void close(Connection connection) {
        try {
            if (connection != null) {
                connection.close();
            }
        } catch (SQLException ignored) {
            // reconnecting anyway
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
