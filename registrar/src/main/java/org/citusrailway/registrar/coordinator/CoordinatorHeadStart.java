package org.citusrailway.registrar.coordinator;

import java.sql.SQLException;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import org.citusrailway.registrar.pg.PgConnector;

/**
 * Opens the first coordinator session on its own thread as soon as the configuration is valid, while logging and HTTP
 * start on the main thread. On a fresh JVM the connection (TCP, SCRAM, session set-up) and the rest of start-up take
 * about 100 ms each; side by side, the first statement reaches the coordinator that much sooner. The loop takes the
 * result once; every later session is opened by the loop itself.
 */
public final class CoordinatorHeadStart {
    private final FutureTask<CoordinatorSession> task;
    private volatile boolean discarded;

    private CoordinatorHeadStart(PgConnector connector) {
        task = new FutureTask<>(() -> {
            CoordinatorSession session = CoordinatorSession.open(connector);
            if (discarded) {
                session.abort();
            }
            return session;
        });
    }

    public static CoordinatorHeadStart begin(PgConnector connector) {
        CoordinatorHeadStart headStart = new CoordinatorHeadStart(connector);
        Thread.ofPlatform().daemon().name("coordinator-connect").start(headStart.task);
        return headStart;
    }

    /** The session, or the connection's own failure, exactly as opening it on the calling thread would give. */
    public CoordinatorSession take() throws SQLException, InterruptedException {
        try {
            return task.get();
        } catch (ExecutionException e) {
            switch (e.getCause()) {
                case SQLException sql -> throw sql;
                case RuntimeException runtime -> throw runtime;
                case Error error -> throw error;
                default -> throw new IllegalStateException(e.getCause());
            }
        }
    }

    /** Stopping before the loop took it: whatever it opens is closed. */
    public void discard() {
        discarded = true;
        if (task.isDone()) {
            try {
                task.get().abort();
            } catch (ExecutionException | CancellationException | InterruptedException ignored) {
                // nothing was opened
            }
        }
    }
}
