package org.citusrailway.registrar;

import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * The {@code --train} mode used at image build time with -XX:ArchiveClassesAtExit: loads and links the classes a real
 * start-up uses (configuration, logging, JSON, HTTP, the JDBC driver, the decision) without touching the network,
 * so the AppCDS archive covers them.
 */
final class Training {
    private Training() {
    }

    static void run() {
        Config config = Config.fromEnvironment(Map.of("POSTGRES_PASSWORD", "training-run-password", "LOG_FORMAT", "json",
                "PORT", "0", "WORKER_HOSTS", "worker-a:5433"));
        System.setProperty(LogSetup.FORMAT_PROPERTY, LogFormat.JSON.name());
        Registrar registrar = new Registrar(config);
        registrar.statusJson();
        registrar.metricsText();
        List<NodeRow> rows = List.of(new NodeRow(1, 0, "coordinator.railway.internal", 5432, true, "primary", true, false),
                new NodeRow(2, 1, "worker1.railway.internal", 5432, false, "primary", false, true));
        HostPort worker = new HostPort("worker2.railway.internal", 5432);
        Reconciler.decide(new Observation(config.coordinator(), rows, List.of(worker),
                Map.of(worker, new ProbeResult.Reached("13.2-1", "a")), java.util.Set.of(), "13.2-1", "b", Map.of()));
        new Backoff(Duration.ofSeconds(1), Duration.ofSeconds(5)).delay(3);
        new KnownWorkers().all();
        new RebalanceJob(1, "running", null, null, RebalanceJob.counts("done=1,running=1"), null).total();
        CandidateNames.of(config);
        try {
            // Loads the driver and its connection classes; port 1 on loopback refuses at once.
            new PgConnector(config.withCoordinator(new HostPort("127.0.0.1", 1))).openCoordinator().close();
        } catch (SQLException expected) {
            SqlErrors.classify(expected);
        }
        try (HttpEndpoints http = HttpEndpoints.start(0, registrar)) {
            registrar.log().info(Event.REGISTRAR_STARTED, "training run: classes loaded", "httpPort", http.port());
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
