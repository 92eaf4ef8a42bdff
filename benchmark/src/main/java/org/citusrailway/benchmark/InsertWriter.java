package org.citusrailway.benchmark;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.citusrailway.testkit.Sql;

/**
 * One client doing single-row INSERTs into table writes (ids 1, 2, 3, …, each retried until it commits, so ids
 * 1..committed() are exactly the rows that must exist), timing each one. What a writer sees during a rebalance.
 */
final class InsertWriter implements AutoCloseable {
    private record Insert(long startedAtMillis, double millis) {
    }

    private record Failure(long atMillis, String what) {
    }

    /** The inserts that started inside a time window: count, p99, max and errors by text. */
    record Window(int count, double p99, double max, Map<String, Integer> errors) {
    }

    private final Sql.Connector connector;
    private final Thread thread;
    private final List<Insert> inserts = new ArrayList<>();
    private final List<Failure> failures = new ArrayList<>();
    private volatile boolean running = true;
    private volatile long committed;

    InsertWriter(Sql.Connector connector) {
        this.connector = connector;
        thread = Thread.ofPlatform().name("insert-writer").start(this::run);
    }

    private void run() {
        long id = 1;
        Connection c = null;
        while (running) {
            long started = System.currentTimeMillis();
            long t0 = System.nanoTime();
            try {
                if (c == null) {
                    c = connector.connect();
                }
                try (PreparedStatement ps = c.prepareStatement("insert into writes (id) values (?) on conflict do nothing")) {
                    ps.setLong(1, id);
                    ps.executeUpdate();
                }
                synchronized (inserts) {
                    inserts.add(new Insert(started, (System.nanoTime() - t0) / 1e6));
                }
                committed = id++;
            } catch (SQLException e) {
                synchronized (inserts) {
                    failures.add(new Failure(started, e.getSQLState() + " " + e.getMessage().lines().findFirst()
                            .orElse("")));
                }
                close(c);
                c = null;
                sleep();
            }
        }
        close(c);
    }

    Window window(String fromUtc, String toUtc) {
        long from = millis(fromUtc);
        long to = millis(toUtc);
        List<Double> latencies = new ArrayList<>();
        Map<String, Integer> errors = new TreeMap<>();
        synchronized (inserts) {
            for (Insert i : inserts) {
                if (i.startedAtMillis() >= from && i.startedAtMillis() <= to) {
                    latencies.add(i.millis());
                }
            }
            for (Failure f : failures) {
                if (f.atMillis() >= from && f.atMillis() <= to) {
                    errors.merge(f.what(), 1, Integer::sum);
                }
            }
        }
        Percentiles p = Percentiles.of(latencies);
        return new Window(p.count(), p.at(99), p.max(), errors);
    }

    long committed() {
        return committed;
    }

    void stop() throws InterruptedException {
        running = false;
        thread.join();
    }

    @Override
    public void close() throws InterruptedException {
        stop();
    }

    private static long millis(String utc) {
        return LocalDateTime.parse(utc.replace(' ', 'T')).toInstant(ZoneOffset.UTC).toEpochMilli();
    }

    private static void close(Connection c) {
        if (c != null) {
            try {
                c.close();
            } catch (SQLException ignored) {
                // the connection is already gone
            }
        }
    }

    private static void sleep() {
        try {
            Thread.sleep(50);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
