package org.citusrailway.benchmark;

import java.io.IOException;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.citusrailway.testkit.FreePorts;
import org.citusrailway.testkit.LocalPostgres;
import org.citusrailway.testkit.ProcStat;
import org.citusrailway.testkit.Sql;
import org.citusrailway.testkit.cluster.Endpoint;
import org.citusrailway.testkit.cluster.LocalCitusCluster;
import org.citusrailway.testkit.registrar.RegistrarProcess;

/**
 * The registrar with default settings (SCAN_INTERVAL unset = 5s, READY_CHECK_INTERVAL unset = 250ms): its idle CPU over
 * a window in which nothing changes, right after start-up and again in the steady state at the end, and in between
 * rounds of "a worker comes back": the worker's PostgreSQL stops, an
 * operator removes it with citus_remove_node (the registrar records it as removed by hand) and re-admits its name the
 * documented way (deleting its citus_registrar.retired_workers row). The name resolves the whole time, as a Railway
 * service's name does from container start, before PostgreSQL is ready: the round waits until the registrar's next
 * full pass has seen the name and lists it in /status pendingCandidates, then, after a random 1-2 s pause, the worker
 * starts. Each round measures from the first moment the worker accepts an authenticated connection to the first
 * moment pg_dist_node on the coordinator shows it active, both polled every 10 ms.
 */
final class ReadinessRun {
    private static final long POLL_MILLIS = 10;
    private static final String NAME = Clusters.WORKER_1;

    /** CPU over a window in which nothing changes; {@code startedAfterSeconds}: the registrar's age at its start. */
    record IdleWindow(double cpuPercent, double seconds, long passes, double startedAfterSeconds) {
    }

    record Result(IdleWindow firstIdle, IdleWindow steadyIdle, Percentiles readyToActiveMillis,
            Percentiles admittedToPendingMillis, Percentiles directAddMillis, List<String> problems) {
    }

    private final LocalCitusCluster cluster;
    private final Consumer<String> progress;

    ReadinessRun(LocalCitusCluster cluster, Consumer<String> progress) {
        this.cluster = cluster;
        this.progress = progress;
    }

    /**
     * Idle CPU twice, each window alone on the machine: right after start-up (6 passes in), then, after the ready ->
     * active rounds and once {@code othersDone} says the concurrent runs are over, in the steady state. In between,
     * {@code firstIdleMeasured} (also run on failure) lets the concurrent runs start.
     */
    Result run(JvmCommand command, int idleSeconds, int rounds, Runnable firstIdleMeasured, CountDownLatch othersDone)
            throws IOException, InterruptedException, SQLException {
        try {
            return measure(command, idleSeconds, rounds, firstIdleMeasured, othersDone);
        } finally {
            firstIdleMeasured.run();
        }
    }

    private Result measure(JvmCommand command, int idleSeconds, int rounds, Runnable firstIdleMeasured,
            CountDownLatch othersDone) throws IOException, InterruptedException, SQLException {
        Percentiles directAdds = directAdds(4);
        long startedAt = System.nanoTime();
        try (RegistrarProcess registrar = command.start(Clusters.registrarEnv(cluster), FreePorts.next())) {
            // Both workers registered and some passes behind us before the first window.
            MetricsText m = MetricsText.awaitPasses(registrar, 6, Duration.ofMinutes(2), Duration.ofSeconds(1));
            if (m.activeNodes() != Clusters.WORKERS.size()) {
                throw new IllegalStateException("the registrar did not register the workers; output:\n"
                        + registrar.tail());
            }
            progress.accept("default settings: idle CPU right after start-up, " + idleSeconds + " s");
            IdleWindow firstIdle = idle(registrar, idleSeconds, startedAt);
            firstIdleMeasured.run();

            List<Double> latencies = new ArrayList<>();
            List<Double> admittedToPending = new ArrayList<>();
            List<String> problems = new ArrayList<>();
            LocalPostgres worker = cluster.server(Clusters.WORKER_1);
            for (int round = 0; round < rounds; round++) {
                try {
                    latencies.add(round(registrar, worker, admittedToPending));
                } catch (RuntimeException e) {
                    List<String> warnings = registrar.linesContaining("\"WARN\"");
                    problems.add("round " + (round + 1) + ": " + e.getMessage() + "; last registrar warning: "
                            + (warnings.isEmpty() ? "none" : warnings.get(warnings.size() - 1)));
                    worker.start();
                }
                if ((round + 1) % 5 == 0) {
                    progress.accept("default settings: " + (round + 1) + "/" + rounds + " ready -> active rounds");
                }
            }
            // Failed citus_add_node calls cost a retry (with backoff unless transient): the usual reason a round is slow.
            List<String> addFailures = registrar.linesContaining("\"event\":\"worker-add-failed\"");
            if (!addFailures.isEmpty()) {
                problems.add(addFailures.size() + " citus_add_node calls by the registrar failed and were retried;"
                        + " the first: " + addFailures.get(0));
            }
            if (!registrar.alive()) {
                problems.add("the registrar exited during the rounds; output:\n" + registrar.tail());
            }
            othersDone.await();
            // The rounds left a worker pending for a moment; a few quiet passes first.
            MetricsText.awaitPasses(registrar, MetricsText.of(registrar).passes() + 3, Duration.ofMinutes(1),
                    Duration.ofSeconds(1));
            progress.accept("default settings: idle CPU in the steady state, " + idleSeconds + " s");
            IdleWindow steadyIdle = idle(registrar, idleSeconds, startedAt);
            return new Result(firstIdle, steadyIdle, Percentiles.of(latencies), Percentiles.of(admittedToPending),
                    directAdds, problems);
        }
    }

    private static IdleWindow idle(RegistrarProcess registrar, int idleSeconds, long startedAt)
            throws IOException, InterruptedException {
        long passesBefore = MetricsText.of(registrar).passes();
        long ticksBefore = registrar.cpuTicks();
        long startNanos = System.nanoTime();
        Thread.sleep(idleSeconds * 1000L);
        long ticks = registrar.cpuTicks() - ticksBefore;
        double seconds = (System.nanoTime() - startNanos) / 1e9;
        long passes = MetricsText.of(registrar).passes() - passesBefore;
        return new IdleWindow(ProcStat.ticksToMillis(ticks) / 1000 / seconds * 100, seconds, passes,
                (startNanos - startedAt) / 1e9);
    }

    /**
     * How long citus_add_node itself takes here, called directly (then undone), before the registrar runs: the part of
     * ready -> active that is Citus's work (metadata sync to the new node), not the registrar's.
     */
    private Percentiles directAdds(int times) {
        List<Double> millis = new ArrayList<>();
        for (int i = 0; i < times; i++) {
            Endpoint worker = cluster.endpoint(Clusters.WORKERS.get(i % Clusters.WORKERS.size()));
            String node = "'" + worker.host() + "', " + worker.port();
            long start = System.nanoTime();
            cluster.coordinator().execute("postgres", "select citus_add_node(" + node + ")");
            millis.add((System.nanoTime() - start) / 1e6);
            cluster.coordinator().execute("postgres", "select citus_remove_node(" + node + ")");
        }
        return Percentiles.of(millis);
    }

    /** One round; returns milliseconds from ready to active. */
    private double round(RegistrarProcess registrar, LocalPostgres worker, List<Double> admittedToPending)
            throws InterruptedException, SQLException {
        String removed = "\"event\":\"worker-removed-by-user\"";
        int removedBefore = registrar.linesContaining(removed).size();
        worker.stop();
        cluster.coordinator().execute("postgres", "select citus_remove_node('" + NAME + "', " + worker.port() + ")");
        long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
        while (registrar.linesContaining(removed).size() == removedBefore) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the registrar did not notice the removal within 15 s");
            }
            Thread.sleep(50);
        }
        // The documented way to let the registrar manage a name removed by hand again.
        cluster.coordinator().execute("postgres", "delete from citus_registrar.retired_workers where nodename = '"
                + NAME + "'");
        long admitted = System.nanoTime();
        // The name resolves all along: the registrar's next full pass finds it unreachable and watches it.
        String pending = "\"" + NAME + ":" + worker.port() + "\"";
        deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!pendingCandidates(registrar).contains(pending)) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the re-admitted worker was not pending within 30 s");
            }
            Thread.sleep(POLL_MILLIS);
        }
        admittedToPending.add((System.nanoTime() - admitted) / 1e6);
        // A random pause so that "ready" falls at any point of the watch's cycle.
        Thread.sleep(1000 + ThreadLocalRandom.current().nextLong(1000));

        AtomicLong readyAt = new AtomicLong();
        Thread readyWatch = Thread.ofPlatform().name("ready-watch").start(() -> readyAt.set(awaitAuthenticated(worker)));
        Thread starter = Thread.ofPlatform().name("worker-start").start(worker::start);
        try (Connection coordinator = cluster.coordinator().connect()) {
            deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (System.nanoTime() < deadline) {
                long ready = readyAt.get();
                if (ready != 0 && isActive(coordinator, worker)) {
                    return (System.nanoTime() - ready) / 1e6;
                }
                if (ready == 0 && !readyWatch.isAlive()) {
                    throw new IllegalStateException("worker on port " + worker.port() + " never accepted a connection");
                }
                Thread.sleep(POLL_MILLIS);
            }
            throw new IllegalStateException("worker on port " + worker.port() + " not active within 60 s");
        } finally {
            readyWatch.join();
            starter.join();
        }
    }

    /** Whether pg_dist_node on the coordinator shows the worker active, on an open connection (for fast polling). */
    private static boolean isActive(Connection coordinator, LocalPostgres worker) {
        return "1".equals(Sql.value(coordinator, "select count(*) from pg_dist_node where nodename = ? and nodeport = ?"
                + " and isactive", NAME, worker.port()));
    }

    /** The pendingCandidates array of /status, as text ("" when /status does not answer). */
    private static String pendingCandidates(RegistrarProcess registrar) throws InterruptedException {
        try {
            String status = registrar.http("/status");
            int start = status.indexOf("\"pendingCandidates\":[");
            return start < 0 ? "" : status.substring(start, status.indexOf(']', start) + 1);
        } catch (IOException e) {
            return "";
        }
    }

    /** Polls until the worker accepts an authenticated connection; returns that moment (System.nanoTime). */
    private static long awaitAuthenticated(LocalPostgres worker) {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (System.nanoTime() < deadline) {
            try (Connection ignored = worker.connect()) {
                return System.nanoTime();
            } catch (SQLException notYet) {
                try {
                    Thread.sleep(POLL_MILLIS);
                } catch (InterruptedException e) {
                    return 0;
                }
            }
        }
        return 0;
    }
}
