package org.citusrailway.testkit.cluster;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import org.citusrailway.testkit.TestHosts;
import org.junit.jupiter.api.Assumptions;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.Network;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.utility.DockerImageName;

/**
 * Containers of the citusdata/citus:13.2.0 image on one Docker network, each with network aliases as its Railway
 * private names ({@code <name>.<domain>}, port 5432). Citus resolves the aliases through Docker's DNS; the test JVM
 * resolves them from the {@link TestHosts} file, which maps each alias to the container's address on the network once
 * the container runs (a name appears when its service starts, as on Railway). Node-to-node credentials come from
 * PGPASSWORD in each server's environment. Needs Testcontainers on the class path and a usable Docker engine (ask
 * {@link org.citusrailway.testkit.DockerEngine} first).
 */
public final class ContainerCitusCluster implements CitusTestCluster {
    public static final DockerImageName IMAGE = DockerImageName.parse("citusdata/citus:13.2.0");
    private static final int PORT = 5432;

    private final String password;
    private final String domain;
    private final Network network = Network.newNetwork();
    private final Map<String, GenericContainer<?>> containers = new LinkedHashMap<>();
    /** key (of a node or a name) → alias */
    private final Map<String, String> aliases = new LinkedHashMap<>();

    private ContainerCitusCluster(Builder builder) {
        this.password = builder.password;
        this.domain = builder.domain;
        Map<String, Set<String>> aliasesOf = new LinkedHashMap<>();
        for (NodeSpec node : builder.nodes) {
            aliasesOf.put(node.key(), new LinkedHashSet<>(List.of(node.key())));
            aliases.put(node.key(), node.key());
        }
        builder.names.forEach((key, name) -> {
            aliasesOf.get(name.of()).add(name.alias());
            aliases.put(key, name.alias());
        });
        List<GenericContainer<?>> startNow = new ArrayList<>();
        for (NodeSpec node : builder.nodes) {
            GenericContainer<?> container = node(node.password() != null ? node.password() : password,
                    aliasesOf.get(node.key()));
            containers.put(node.key(), container);
            if (node.startNow()) {
                startNow.add(container);
            }
        }
        try {
            startNow.forEach(this::start);
        } catch (RuntimeException e) {
            close();
            throw e;
        }
        String address = addressOf(containers.get(COORDINATOR));
        try (Socket probe = new Socket()) {
            probe.connect(new InetSocketAddress(address, PORT), 2000);
        } catch (IOException e) {
            close();
            Assumptions.abort("container addresses are not reachable from the test JVM (Docker Desktop or a remote"
                    + " Docker host); the registrar must reach workers under their private names");
        }
    }

    public static Builder builder(String password, String domain) {
        return new Builder(password, domain);
    }

    private GenericContainer<?> node(String superuserPassword, Set<String> names) {
        return new GenericContainer<>(IMAGE)
                .withNetwork(network)
                .withNetworkAliases(names.stream().map(n -> n + "." + domain).toArray(String[]::new))
                .withEnv("POSTGRES_PASSWORD", superuserPassword)
                .withEnv("POSTGRES_HOST_AUTH_METHOD", "scram-sha-256")
                // libpq inside the server (Citus's node-to-node connections) reads it
                .withEnv("PGPASSWORD", password)
                .withExposedPorts(PORT)
                .waitingFor(Wait.forLogMessage(".*database system is ready to accept connections.*", 2)
                        .withStartupTimeout(Duration.ofMinutes(3)));
    }

    private void start(GenericContainer<?> container) {
        container.start();
        String address = addressOf(container);
        for (String alias : container.getNetworkAliases()) {
            if (alias.endsWith("." + domain)) {
                TestHosts.map(alias, address);
            }
        }
    }

    private static String addressOf(GenericContainer<?> container) {
        return container.getContainerInfo().getNetworkSettings().getNetworks().values().iterator().next()
                .getIpAddress();
    }

    @Override
    public String password() {
        return password;
    }

    /** The private domain the names are under. */
    public String domain() {
        return domain;
    }

    @Override
    public Endpoint endpoint(String key) {
        String alias = aliases.get(key);
        if (alias == null) {
            throw new IllegalArgumentException("no node or name " + key + " in this cluster: " + aliases.keySet());
        }
        return new Endpoint(alias + "." + domain, PORT);
    }

    @Override
    public Connection connectCoordinator() throws SQLException {
        GenericContainer<?> coordinator = containers.get(COORDINATOR);
        Properties props = new Properties();
        props.setProperty("user", "postgres");
        props.setProperty("password", password);
        return DriverManager.getConnection("jdbc:postgresql://" + coordinator.getHost() + ":"
                + coordinator.getMappedPort(PORT) + "/postgres", props);
    }

    @Override
    public void start(String key) {
        GenericContainer<?> container = containers.get(key);
        if (container == null) {
            throw new IllegalArgumentException("no node " + key + " in this cluster: " + containers.keySet());
        }
        start(container);
    }

    @Override
    public void close() {
        for (GenericContainer<?> container : containers.values()) {
            try {
                container.stop();
            } catch (RuntimeException e) {
                // best effort
            }
        }
        network.close();
    }

    private record NodeSpec(String key, String password, boolean startNow) {
    }

    private record Name(String of, String alias) {
    }

    /** The nodes, each under {@code <key>.<domain>}; the coordinator is there from the start. */
    public static final class Builder {
        private final String password;
        private final String domain;
        private final List<NodeSpec> nodes = new ArrayList<>();
        private final Map<String, Name> names = new LinkedHashMap<>();

        private Builder(String password, String domain) {
            this.password = password;
            this.domain = domain;
            nodes.add(new NodeSpec(COORDINATOR, null, true));
        }

        public Builder worker(String key) {
            return node(new NodeSpec(key, null, true));
        }

        /** A worker whose superuser password differs from the cluster's. */
        public Builder worker(String key, String superuserPassword) {
            return node(new NodeSpec(key, superuserPassword, true));
        }

        /** A worker created but not started: {@link ContainerCitusCluster#start} starts it. */
        public Builder stoppedWorker(String key) {
            return node(new NodeSpec(key, null, false));
        }

        /** Another name for node {@code of}: a network alias {@code <alias>.<domain>} (which may be its own). */
        public Builder name(String key, String of, String alias) {
            if (nodes.stream().noneMatch(n -> n.key().equals(of))) {
                throw new IllegalArgumentException("no node " + of);
            }
            names.put(key, new Name(of, alias));
            return this;
        }

        private Builder node(NodeSpec node) {
            nodes.add(node);
            return this;
        }

        /** Starts the coordinator and the workers not marked stopped, one after the other. */
        public ContainerCitusCluster start() {
            return new ContainerCitusCluster(this);
        }
    }
}
