package org.citusrailway.registrar;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Assumptions;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.Network;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.utility.DockerImageName;
import org.citusrailway.registrar.config.HostPort;

/**
 * Containers of the citusdata/citus:13.2.0 image on one Docker network, each with network aliases as its Railway private names. Citus
 * resolves the aliases through Docker's DNS; the registrar (in this JVM) resolves them from the test hosts file,
 * which maps each alias to the container's address on the network once the container runs (a name appears when its
 * service starts, as on Railway). Node-to-node credentials come from PGPASSWORD in each server's environment.
 */
final class ContainerCitusCluster implements CitusCluster {
    static final DockerImageName IMAGE = DockerImageName.parse("citusdata/citus:13.2.0");
    private static final String PASSWORD = "Citus-Container-Secret-3";
    private static final String DOMAIN = "citus.test";
    private static final int PORT = 5432;

    private final Network network = Network.newNetwork();
    private final List<GenericContainer<?>> containers = new ArrayList<>();
    private final GenericContainer<?> coordinator;
    private final GenericContainer<?> worker3;
    private final GenericContainer<?> retiree;

    ContainerCitusCluster() {
        coordinator = node(PASSWORD, "coordinator");
        GenericContainer<?> worker1 = node(PASSWORD, "worker1", "worker1-alias");
        GenericContainer<?> worker2 = node(PASSWORD, "worker2");
        GenericContainer<?> wrong = node("another-password", "wrong");
        worker3 = node(PASSWORD, "worker3");
        retiree = node(PASSWORD, "retiree");
        for (GenericContainer<?> container : List.of(coordinator, worker1, worker2, wrong)) {
            start(container);
        }
        String address = addressOf(coordinator);
        try (Socket probe = new Socket()) {
            probe.connect(new InetSocketAddress(address, PORT), 2000);
        } catch (IOException e) {
            close();
            Assumptions.abort("container addresses are not reachable from the test JVM (Docker Desktop or a remote"
                    + " Docker host); the registrar must reach workers under their private names");
        }
    }

    private GenericContainer<?> node(String password, String... aliases) {
        List<String> names = new ArrayList<>();
        for (String alias : aliases) {
            names.add(alias + "." + DOMAIN);
        }
        GenericContainer<?> container = new GenericContainer<>(IMAGE)
                .withNetwork(network)
                .withNetworkAliases(names.toArray(String[]::new))
                .withEnv("POSTGRES_PASSWORD", password)
                .withEnv("POSTGRES_HOST_AUTH_METHOD", "scram-sha-256")
                // libpq inside the server (Citus's node-to-node connections) reads it
                .withEnv("PGPASSWORD", PASSWORD)
                .withExposedPorts(PORT)
                .waitingFor(Wait.forLogMessage(".*database system is ready to accept connections.*", 2)
                        .withStartupTimeout(Duration.ofMinutes(3)));
        containers.add(container);
        return container;
    }

    private void start(GenericContainer<?> container) {
        container.start();
        String address = addressOf(container);
        for (String alias : container.getNetworkAliases()) {
            if (alias.endsWith("." + DOMAIN)) {
                TestHosts.map(alias, address);
            }
        }
    }

    private String addressOf(GenericContainer<?> container) {
        return container.getContainerInfo().getNetworkSettings().getNetworks().values().iterator().next()
                .getIpAddress();
    }

    private static HostPort name(String alias) {
        return new HostPort(alias + "." + DOMAIN, PORT);
    }

    @Override
    public Map<String, String> registrarEnvironment() {
        Map<String, String> env = new HashMap<>();
        env.put("COORDINATOR_HOST", "coordinator." + DOMAIN);
        env.put("POSTGRES_PASSWORD", PASSWORD);
        env.put("PRIVATE_DOMAIN", DOMAIN);
        env.put("WORKER_NAME_PATTERNS", "worker{n}");
        env.put("WORKER_INDEX_MAX", "5");
        env.put("WORKER_HOSTS", String.join(",", List.of(wrongPasswordWorker(), worker1Alias(), retiree(),
                coordinatorAsWorker()).stream().map(HostPort::toString).toList()));
        return env;
    }

    @Override
    public HostPort coordinatorRow() {
        return name("coordinator");
    }

    @Override
    public Connection connectCoordinator() throws SQLException {
        Properties props = new Properties();
        props.setProperty("user", "postgres");
        props.setProperty("password", PASSWORD);
        return DriverManager.getConnection("jdbc:postgresql://" + coordinator.getHost() + ":"
                + coordinator.getMappedPort(PORT) + "/postgres", props);
    }

    @Override
    public HostPort worker(int n) {
        return name("worker" + n);
    }

    @Override
    public HostPort wrongPasswordWorker() {
        return name("wrong");
    }

    @Override
    public HostPort worker1Alias() {
        return name("worker1-alias");
    }

    @Override
    public HostPort coordinatorAsWorker() {
        return name("coordinator");
    }

    @Override
    public HostPort retiree() {
        return name("retiree");
    }

    @Override
    public void startWorker3() {
        start(worker3);
    }

    @Override
    public void startRetiree() {
        start(retiree);
    }

    @Override
    public String password() {
        return PASSWORD;
    }

    @Override
    public void close() {
        for (GenericContainer<?> container : containers) {
            try {
                container.stop();
            } catch (RuntimeException e) {
                // best effort
            }
        }
        network.close();
    }
}
