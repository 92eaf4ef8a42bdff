package org.citusrailway.testkit.ha;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One client inserting a row every 10 ms through the stable endpoint (as Patroni's own Citus failover tests do), into
 * the shards of one node group, reconnecting after an error. It keeps every attempt with its time, so a test can say
 * how long writes waited around a switchover or failover, and every acknowledged row, to check none was lost.
 */
public final class PacedWriter {
    /** Opens a connection through the endpoint. */
    public interface Connector {
        Connection connect() throws SQLException;
    }

    public record Attempt(long startNanos, long endNanos, boolean ok, String error) {}

    public static final int PACE_MILLIS = 10;

    private final String name;
    private final Connector connector;
    private final int[] keys;
    private final long idBase;
    private final AtomicBoolean running = new AtomicBoolean();
    private final List<Attempt> attempts = new ArrayList<>();
    private final Set<Long> acknowledged = ConcurrentHashMap.newKeySet();
    private Thread thread;
    private long nextId;

    /** keys: distribution-column values whose shards live on the writer's group; ids start after idBase. */
    public PacedWriter(String name, Connector connector, int[] keys, long idBase) {
        this.name = name;
        this.connector = connector;
        this.keys = keys.clone();
        this.idBase = idBase;
        this.nextId = idBase;
    }

    public String name() {
        return name;
    }

    public void start() {
        running.set(true);
        thread = Thread.ofPlatform().name("writer-" + name).start(this::run);
    }

    public void stop() throws InterruptedException {
        running.set(false);
        thread.join();
    }

    public Set<Long> acknowledged() {
        return Set.copyOf(acknowledged);
    }

    public long idBase() {
        return idBase;
    }

    private void run() {
        Connection connection = null;
        PreparedStatement insert = null;
        while (running.get()) {
            long id = ++nextId;
            long start = System.nanoTime();
            try {
                if (connection == null) {
                    connection = connector.connect();
                    insert = connection.prepareStatement("insert into ha_writes (k, id) values (?, ?)");
                }
                insert.setInt(1, keys[(int) (id % keys.length)]);
                insert.setLong(2, id);
                insert.executeUpdate();
                acknowledged.add(id);
                record(new Attempt(start, System.nanoTime(), true, null));
            } catch (SQLException e) {
                record(new Attempt(start, System.nanoTime(), false, firstLine(e.getMessage())));
                close(connection);
                connection = null;
            }
            pause();
        }
        close(connection);
    }

    private synchronized void record(Attempt attempt) {
        attempts.add(attempt);
    }

    public synchronized List<Attempt> attempts(long fromNanos, long toNanos) {
        List<Attempt> within = new ArrayList<>();
        for (Attempt a : attempts) {
            if (a.endNanos() >= fromNanos && a.startNanos() <= toNanos) {
                within.add(a);
            }
        }
        return within;
    }

    /** The longest time between two acknowledged writes within the window (the writer's longest wait), in ms. */
    public long longestWaitMillis(long fromNanos, long toNanos) {
        long previous = fromNanos;
        long longest = 0;
        for (Attempt a : attempts(fromNanos, toNanos)) {
            if (a.ok()) {
                longest = Math.max(longest, a.endNanos() - previous);
                previous = a.endNanos();
            }
        }
        return Math.max(longest, toNanos - previous) / 1_000_000;
    }

    public List<String> errors(long fromNanos, long toNanos) {
        return attempts(fromNanos, toNanos).stream().filter(a -> !a.ok()).map(Attempt::error).toList();
    }

    public double successRatio(long fromNanos, long toNanos) {
        List<Attempt> within = attempts(fromNanos, toNanos);
        return within.isEmpty() ? 0 : within.stream().filter(Attempt::ok).count() / (double) within.size();
    }

    /**
     * How long after the given time writes were failing or waiting: until the first acknowledged write that started
     * after the window's last failure (0 when nothing failed and nothing waited longer than a second).
     */
    public long resumedAfterMillis(long fromNanos, long toNanos) {
        long lastFailure = fromNanos;
        for (Attempt a : attempts(fromNanos, toNanos)) {
            if (!a.ok()) {
                lastFailure = Math.max(lastFailure, a.endNanos());
            }
        }
        long resumed = firstAcknowledgedAfter(lastFailure).orElse(toNanos);
        return lastFailure == fromNanos ? longestWaitMillis(fromNanos, toNanos) : (resumed - fromNanos) / 1_000_000;
    }

    /** When the first write started after the given time succeeded. */
    public synchronized OptionalLong firstAcknowledgedAfter(long nanos) {
        for (Attempt a : attempts) {
            if (a.ok() && a.startNanos() >= nanos) {
                return OptionalLong.of(a.endNanos());
            }
        }
        return OptionalLong.empty();
    }

    private static void pause() {
        try {
            Thread.sleep(PACE_MILLIS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void close(Connection connection) {
        if (connection != null) {
            try {
                connection.close();
            } catch (SQLException ignored) {
                // The session is gone already; nothing to release.
            }
        }
    }

    private static String firstLine(String message) {
        return message == null ? "" : message.lines().findFirst().orElse("");
    }
}
