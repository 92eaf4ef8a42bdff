package org.citusrailway.registrar;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.citusrailway.testkit.LocalPostgres;
import org.citusrailway.testkit.PostgresBinaries;
import org.junit.jupiter.api.Assumptions;
import org.citusrailway.registrar.config.HostPort;

/**
 * Citus as local processes for the scale and fault suite: the coordinator and workers 1 and 2 under the machine's name
 * (distinct ports), worker 3 as {@code 127.0.0.1:<port>}, a name of its own because retirement is by name. The
 * machine's name, not localhost, so that taking it out of the test hosts file really makes the workers stop resolving
 * for the registrar (the JDK answers "localhost" with the loopback address even when no resolver knows it); Citus
 * resolves it through the OS. Worker 3 starts only when asked.
 */
public final class ScaleCluster implements AutoCloseable {
    static final String PASSWORD = "Scale-Fault-Secret-5150";

    final String coordinatorName = TestHosts.machineName();
    final LocalPostgres coordinator;
    public final LocalPostgres worker1;
    final LocalPostgres worker2;
    final LocalPostgres worker3;
    private final List<LocalPostgres> servers = new ArrayList<>();
    private final UnaryOperator<LocalPostgres.Builder> settings;

    public ScaleCluster() {
        this(builder -> builder);
    }

    /** With more settings for every server ({@code settings} adds them to each builder). */
    public ScaleCluster(UnaryOperator<LocalPostgres.Builder> settings) {
        this.settings = settings;
        PostgresBinaries binaries = PostgresBinaries.withCitus().orElse(null);
        Assumptions.assumeTrue(binaries != null, PostgresBinaries.citusMissingReason());
        Assumptions.assumeTrue(!coordinatorName.equals("localhost") && TestHosts.resolvesToLoopbackThroughTheOs(coordinatorName),
                "the machine's host name " + coordinatorName + " does not resolve to 127.0.0.1 through the OS resolver;"
                        + " this suite needs a non-localhost name that both libpq and the JVM resolve");
        TestHosts.map(coordinatorName, "127.0.0.1");
        String pgpass = "*:*:*:" + LocalPostgres.SUPERUSER + ":" + PASSWORD + "\n";
        coordinator = server(binaries, pgpass);
        worker1 = server(binaries, pgpass);
        worker2 = server(binaries, pgpass);
        worker3 = server(binaries, pgpass);
        try {
            LocalPostgres.startAll(List.of(coordinator, worker1, worker2), CREATE_CITUS);
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    private LocalPostgres server(PostgresBinaries binaries, String pgpass) {
        LocalPostgres server = settings.apply(LocalPostgres.builder(binaries).password(PASSWORD).citus().pgpass(pgpass))
                .build();
        servers.add(server);
        return server;
    }

    static final String CREATE_CITUS = "create extension if not exists citus";

    static void startWithCitus(LocalPostgres server) {
        server.start();
        server.execute("postgres", CREATE_CITUS);
    }

    static String scalar(LocalPostgres server, String sql) {
        try (Connection c = server.connect(); var s = c.createStatement(); var rs = s.executeQuery(sql)) {
            return rs.next() ? rs.getString(1) : null;
        } catch (SQLException e) {
            throw new IllegalStateException(sql + ": " + e.getMessage(), e);
        }
    }

    public HostPort w1() {
        return new HostPort(coordinatorName, worker1.port());
    }

    HostPort w2() {
        return new HostPort(coordinatorName, worker2.port());
    }

    HostPort w3() {
        return new HostPort("127.0.0.1", worker3.port());
    }

    public Map<String, String> registrarEnvironment() {
        Map<String, String> env = new HashMap<>();
        env.put("COORDINATOR_HOST", coordinatorName);
        env.put("COORDINATOR_PORT", Integer.toString(coordinator.port()));
        env.put("POSTGRES_PASSWORD", PASSWORD);
        env.put("WORKER_INDEX_MAX", "0");
        env.put("WORKER_HOSTS", w1() + "," + w2() + "," + w3());
        env.put("SCAN_INTERVAL", "250ms");
        env.put("WORKER_LOST_AFTER", "0s"); // the fault tests expect a killed worker to be reported at once
        // Long enough that a statement the tests hold up on a lock is still waiting when the fault strikes.
        env.put("LOCK_TIMEOUT", "1m");
        env.put("STATEMENT_TIMEOUT", "1m");
        env.put("PORT", "0");
        env.put("LOG_FORMAT", "text");
        return env;
    }

    Connection connectCoordinator() throws SQLException {
        return coordinator.connect();
    }

    /** Stops worker 3 hard and deletes its data directory; the next start runs initdb and creates citus again. */
    void wipeWorker3() {
        worker3.wipe();
        startWithCitus(worker3);
    }


    @Override
    public void close() {
        for (LocalPostgres server : servers) {
            try {
                server.close();
            } catch (RuntimeException e) {
                // best effort
            }
        }
    }
}
