package org.citusrailway.testkit.cluster;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.citusrailway.testkit.LocalPostgres;
import org.citusrailway.testkit.PostgresBinaries;
import org.citusrailway.testkit.Sql;
import org.citusrailway.testkit.TestHosts;
import org.junit.jupiter.api.Assumptions;

/**
 * Citus as local processes on 127.0.0.1, one {@link LocalPostgres} per node on a port of its own, with scram password
 * authentication and node-to-node credentials from a .pgpass in each server's HOME. A node is reached under a name
 * the OS resolves to 127.0.0.1 (so libpq inside Citus finds it) and the test JVM resolves too: the coordinator under
 * the machine's host name (not localhost: workers must reach it by that name, and taking the name out of the test
 * hosts file must really make it stop resolving for the JVM, which answers "localhost" whatever the file says),
 * workers under that name, {@code localhost} or {@code 127.0.0.1} as each test needs (retirement is by name, so a
 * node to retire needs a name of its own). When the test JVM resolves from a {@link TestHosts} file, the machine's
 * name is added to it.
 */
public final class LocalCitusCluster implements CitusTestCluster {
    public static final String CREATE_CITUS = "create extension if not exists citus";

    private final String password;
    private final String coordinatorName;
    private final Map<String, LocalPostgres> servers = new LinkedHashMap<>();
    private final Map<String, Endpoint> endpoints = new LinkedHashMap<>();

    private LocalCitusCluster(Builder builder) {
        this.password = builder.password;
        this.coordinatorName = builder.coordinatorName;
        String pgpass = "*:*:*:" + LocalPostgres.SUPERUSER + ":" + password + "\n";
        List<LocalPostgres> startNow = new ArrayList<>();
        for (NodeSpec node : builder.nodes) {
            LocalPostgres server = builder.settings.apply(LocalPostgres.builder(builder.binaries)
                    .password(node.password() != null ? node.password() : password).citus().pgpass(pgpass)).build();
            servers.put(node.key(), server);
            endpoints.put(node.key(), new Endpoint(node.host(), server.port()));
            if (node.startNow()) {
                startNow.add(server);
            }
        }
        builder.names.forEach((key, name) -> endpoints.put(key, new Endpoint(name.host(), server(name.of()).port())));
        try {
            LocalPostgres.startAll(startNow, CREATE_CITUS);
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    /**
     * A cluster on the Debian PostgreSQL with Citus installed here; aborts the test (a skip that says why) when there
     * is none, or when the machine's name does not resolve to 127.0.0.1 through the OS.
     */
    public static Builder withInstalledCitus() {
        PostgresBinaries binaries = PostgresBinaries.withCitus().orElse(null);
        Assumptions.assumeTrue(binaries != null, PostgresBinaries.citusMissingReason());
        String name = TestHosts.machineName();
        Assumptions.assumeTrue(!name.equals("localhost") && TestHosts.resolvesToLoopbackThroughTheOs(name),
                "the machine's host name " + name + " does not resolve to 127.0.0.1 through the OS resolver; the local"
                        + " Citus clusters need a non-localhost coordinator name that both libpq and the JVM resolve");
        return new Builder(binaries, name);
    }

    /** A cluster on the given binaries, its coordinator under {@code coordinatorName} (which must resolve). */
    public static Builder builder(PostgresBinaries binaries, String coordinatorName) {
        return new Builder(binaries, coordinatorName);
    }

    @Override
    public String password() {
        return password;
    }

    /** The coordinator's name (the machine's name, unless built otherwise). */
    public String coordinatorName() {
        return coordinatorName;
    }

    @Override
    public Endpoint endpoint(String key) {
        Endpoint endpoint = endpoints.get(key);
        if (endpoint == null) {
            throw new IllegalArgumentException("no node or name " + key + " in this cluster: " + endpoints.keySet());
        }
        return endpoint;
    }

    /** The server of a node (not of a second name), for what only a local process allows: its files, a kill. */
    public LocalPostgres server(String key) {
        LocalPostgres server = servers.get(key);
        if (server == null) {
            throw new IllegalArgumentException("no node " + key + " in this cluster: " + servers.keySet());
        }
        return server;
    }

    public LocalPostgres coordinator() {
        return server(COORDINATOR);
    }

    /** Statements on a node's database postgres, a connection each. */
    public Sql sql(String key) {
        return server(key).sql();
    }

    @Override
    public boolean stoppedNodeNamesResolve() {
        return true;
    }

    @Override
    public Connection connectCoordinator() throws SQLException {
        return coordinator().connect();
    }

    @Override
    public void start(String key) {
        LocalPostgres server = server(key);
        server.start();
        server.execute("postgres", CREATE_CITUS);
    }

    /** Fast shutdown; the data directory, with citus created, stays for the next start. */
    public void stop(String key) {
        server(key).stop();
    }

    /** SIGKILL to the node's postmaster, as a crash or an OOM kill. */
    public void kill(String key) {
        server(key).kill();
    }

    /** Kills the node and deletes its data directory: the next {@link #start} runs initdb and creates citus again. */
    public void wipe(String key) {
        server(key).wipe();
    }

    /**
     * What the registrar needs to find this cluster: the coordinator, the password, and the given nodes as
     * WORKER_HOSTS (no name patterns: WORKER_INDEX_MAX=0). A new map, for the caller to add to.
     */
    public Map<String, String> registrarEnvironment(String... workerKeys) {
        Map<String, String> env = new HashMap<>();
        env.put("COORDINATOR_HOST", coordinatorName);
        env.put("COORDINATOR_PORT", Integer.toString(coordinator().port()));
        env.put("POSTGRES_PASSWORD", password);
        env.put("WORKER_INDEX_MAX", "0");
        List<String> hosts = new ArrayList<>();
        for (String key : workerKeys) {
            hosts.add(endpoint(key).toString());
        }
        env.put("WORKER_HOSTS", String.join(",", hosts));
        return env;
    }

    @Override
    public void close() {
        for (LocalPostgres server : servers.values()) {
            try {
                server.close();
            } catch (RuntimeException e) {
                // best effort
            }
        }
    }

    private record NodeSpec(String key, String host, String password, boolean startNow) {
    }

    private record Name(String of, String host) {
    }

    /** The nodes of a cluster; {@link #start()} starts the coordinator and the workers not marked stopped. */
    public static final class Builder {
        private final PostgresBinaries binaries;
        private final String coordinatorName;
        private final List<NodeSpec> nodes = new ArrayList<>();
        private final Map<String, Name> names = new LinkedHashMap<>();
        private String password = "Citus-Local-Secret";
        private UnaryOperator<LocalPostgres.Builder> settings = builder -> builder;

        private Builder(PostgresBinaries binaries, String coordinatorName) {
            this.binaries = binaries;
            this.coordinatorName = coordinatorName;
            nodes.add(new NodeSpec(COORDINATOR, coordinatorName, null, true));
        }

        public Builder password(String password) {
            this.password = password;
            return this;
        }

        /** More server settings for every node ({@code settings} adds them to each server's builder). */
        public Builder settings(UnaryOperator<LocalPostgres.Builder> settings) {
            this.settings = settings;
            return this;
        }

        /** A worker started with the cluster, reached as {@code host:<its port>}. */
        public Builder worker(String key, String host) {
            return node(new NodeSpec(key, host, null, true));
        }

        /** A worker whose superuser password differs from the cluster's. */
        public Builder worker(String key, String host, String password) {
            return node(new NodeSpec(key, host, password, true));
        }

        /** A worker created but not started: {@link LocalCitusCluster#start} starts it. */
        public Builder stoppedWorker(String key, String host) {
            return node(new NodeSpec(key, host, null, false));
        }

        /** Another name for node {@code of}: the same server under {@code host}. */
        public Builder name(String key, String of, String host) {
            requireNew(key);
            if (nodes.stream().noneMatch(n -> n.key().equals(of))) {
                throw new IllegalArgumentException("no node " + of);
            }
            names.put(key, new Name(of, host));
            return this;
        }

        private Builder node(NodeSpec node) {
            requireNew(node.key());
            nodes.add(node);
            return this;
        }

        private void requireNew(String key) {
            if (names.containsKey(key) || nodes.stream().anyMatch(n -> n.key().equals(key))) {
                throw new IllegalArgumentException("key " + key + " given twice");
            }
        }

        /**
         * Starts the coordinator and the workers (in parallel) and creates citus in each; if one fails, none is left
         * running and the failure names the server's log.
         */
        public LocalCitusCluster start() {
            if (TestHosts.inUse()) {
                TestHosts.map(coordinatorName, "127.0.0.1");
            }
            return new LocalCitusCluster(this);
        }
    }
}
