package org.citusrailway.registrar;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.citusrailway.testkit.LocalPostgres;
import org.citusrailway.testkit.PostgresBinaries;
import org.junit.jupiter.api.Assumptions;
import org.citusrailway.registrar.config.HostPort;

/**
 * Citus as local processes on 127.0.0.1 with distinct ports, scram password authentication, and node-to-node
 * credentials from a .pgpass in each server's HOME. Names Citus must resolve through the OS: the coordinator is the
 * machine's host name (not localhost: workers must reach it by that name), workers are {@code localhost:<port>}, the
 * retiree is {@code 127.0.0.1:<port>} (retirement is by name, so it needs a name of its own). The test hosts file maps
 * the same names for the registrar's JVM.
 */
final class LocalCitusCluster implements CitusCluster {
    private static final String PASSWORD = "Citus-Local-Secret-9";

    private final String coordinatorName = TestHosts.machineName();
    private final List<LocalPostgres> servers = new ArrayList<>();
    private final LocalPostgres coordinator;
    private final LocalPostgres worker1;
    private final LocalPostgres worker2;
    private final LocalPostgres worker3;
    private final LocalPostgres wrong;
    private final LocalPostgres retiree;

    LocalCitusCluster(PostgresBinaries binaries) {
        Assumptions.assumeTrue(TestHosts.resolvesToLoopbackThroughTheOs(coordinatorName), "the machine's host name " + coordinatorName
                + " does not resolve to 127.0.0.1 through the OS resolver; the local Citus suite needs a non-localhost"
                + " coordinator name that both libpq and the JVM resolve");
        TestHosts.map(coordinatorName, "127.0.0.1");
        String pgpass = "*:*:*:" + LocalPostgres.SUPERUSER + ":" + PASSWORD + "\n";
        coordinator = server(binaries, PASSWORD, pgpass);
        worker1 = server(binaries, PASSWORD, pgpass);
        worker2 = server(binaries, PASSWORD, pgpass);
        worker3 = server(binaries, PASSWORD, pgpass);
        wrong = server(binaries, "another-password", pgpass);
        retiree = server(binaries, PASSWORD, pgpass);
        try {
            LocalPostgres.startAll(List.of(coordinator, worker1, worker2, wrong), ScaleCluster.CREATE_CITUS);
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    private LocalPostgres server(PostgresBinaries binaries, String password, String pgpass) {
        LocalPostgres server = LocalPostgres.builder(binaries).password(password).citus().pgpass(pgpass).build();
        servers.add(server);
        return server;
    }

    private static void startWithCitus(LocalPostgres server) {
        ScaleCluster.startWithCitus(server);
    }

    @Override
    public Map<String, String> registrarEnvironment() {
        Map<String, String> env = new HashMap<>();
        env.put("COORDINATOR_HOST", coordinatorName);
        env.put("COORDINATOR_PORT", Integer.toString(coordinator.port()));
        env.put("POSTGRES_PASSWORD", PASSWORD);
        env.put("WORKER_INDEX_MAX", "0");
        env.put("WORKER_HOSTS", String.join(",", List.of(worker(1), worker(2), worker(3), wrongPasswordWorker(),
                worker1Alias(), retiree(), coordinatorAsWorker()).stream().map(HostPort::toString).toList()));
        return env;
    }

    @Override
    public HostPort coordinatorRow() {
        return new HostPort(coordinatorName, coordinator.port());
    }

    @Override
    public Connection connectCoordinator() throws SQLException {
        return coordinator.connect();
    }

    @Override
    public HostPort worker(int n) {
        return new HostPort("localhost", switch (n) {
            case 1 -> worker1.port();
            case 2 -> worker2.port();
            case 3 -> worker3.port();
            default -> throw new IllegalArgumentException("worker " + n);
        });
    }

    @Override
    public HostPort wrongPasswordWorker() {
        return new HostPort("localhost", wrong.port());
    }

    @Override
    public HostPort worker1Alias() {
        return new HostPort(coordinatorName, worker1.port());
    }

    @Override
    public HostPort coordinatorAsWorker() {
        return new HostPort("localhost", coordinator.port());
    }

    @Override
    public HostPort retiree() {
        return new HostPort("127.0.0.1", retiree.port());
    }

    @Override
    public void startWorker3() {
        startWithCitus(worker3);
    }

    /** Stops worker 3 (fast shutdown); its data directory, with citus created, stays for the next start. */
    void stopWorker3() {
        worker3.stop();
    }

    @Override
    public void startRetiree() {
        startWithCitus(retiree);
    }

    @Override
    public String password() {
        return PASSWORD;
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
