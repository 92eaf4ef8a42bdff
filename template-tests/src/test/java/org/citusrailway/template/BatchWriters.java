package org.citusrailway.template;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;
import org.citusrailway.testkit.Await;

/**
 * Writers that commit numbered batches through the coordinator, each one transaction of a row in the reference table
 * {@code batches} and {@value #ROWS_PER_BATCH} rows of the distributed table {@code writes} (a two-phase commit
 * across the nodes), counting what they saw committed; and the check that after crashes every such batch is there
 * whole and no batch is there in part. Errors while a node is down are expected and only slow the writer.
 */
public final class BatchWriters {
    public static final int ROWS_PER_BATCH = 20;
    public static final String[] TABLES = {
        "create table batches (batch int primary key)",
        "select create_reference_table('batches')",
        "create table writes (id bigint primary key, batch int not null)",
        "select create_distributed_table('writes', 'id')"};

    /** Opens a connection to the coordinator. */
    public interface Connector {
        Connection connect() throws SQLException;
    }

    private final Connector connector;
    private final AtomicInteger nextBatch = new AtomicInteger();
    private final List<Integer> committed = Collections.synchronizedList(new ArrayList<>());
    private final AtomicBoolean writing = new AtomicBoolean();
    private final List<CompletableFuture<Void>> writers = new ArrayList<>();

    public BatchWriters(Connector connector) {
        this.connector = connector;
    }

    /** Starts the writers and returns once they have committed {@code batches} more batches. */
    public void startAndAwait(int count, int batches) {
        int before = committed.size();
        writing.set(true);
        for (int i = 0; i < count; i++) {
            writers.add(CompletableFuture.runAsync(this::write));
        }
        Await.until(Duration.ofSeconds(60), "writers committed " + batches + " batches",
                () -> committed.size() >= before + batches);
    }

    public void stop() {
        writing.set(false);
        CompletableFuture.allOf(writers.toArray(CompletableFuture[]::new)).join();
        writers.clear();
    }

    public int committed() {
        return committed.size();
    }

    /** Every committed batch whole in both tables, no batch in part, and the two tables agree. */
    public void assertCommittedBatchesAreThere(UnaryOperator<String> query) {
        String ids = committed.stream().map(String::valueOf).reduce((a, b) -> a + "," + b).orElseThrow();
        assertEquals(Integer.toString(committed.size() * ROWS_PER_BATCH),
                query.apply("select count(*) from writes where batch in (" + ids + ")"), "every committed batch is there");
        assertEquals(Integer.toString(committed.size()),
                query.apply("select count(*) from batches where batch in (" + ids + ")"), "every committed batch row");
        assertEquals("0", query.apply("select count(*) from (select batch from writes group by batch having count(*) <> "
                + ROWS_PER_BATCH + ") partial"), "no batch is there in part");
        assertEquals(query.apply("select count(*) from batches"), query.apply("select count(distinct batch) from writes"),
                "rows and batch rows agree");
    }

    private void write() {
        while (writing.get()) {
            int batch = nextBatch.incrementAndGet();
            try (Connection c = connector.connect(); Statement s = c.createStatement()) {
                c.setAutoCommit(false);
                s.execute("insert into batches values (" + batch + ")");
                s.execute("insert into writes select " + batch + " * 1000000 + i, " + batch
                        + " from generate_series(1, " + ROWS_PER_BATCH + ") i");
                c.commit();
                committed.add(batch);
            } catch (SQLException | IllegalStateException e) {
                try {
                    Thread.sleep(50);
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }
}
