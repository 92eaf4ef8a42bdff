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
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.citusrailway.testkit.DockerEngine;
import org.citusrailway.testkit.TestHosts;
import org.junit.jupiter.api.Assumptions;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.Network;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.utility.DockerImageName;
import org.testcontainers.utility.ResourceReaper;
import org.testcontainers.utility.TestcontainersConfiguration;

/**
 * Containers of the citusdata/citus:13.2.0 image on one Docker network, each with network aliases as its Railway
 * private names ({@code <name>.<domain>}, port 5432). Citus resolves the aliases through Docker's DNS; the test JVM
 * resolves them from the {@link TestHosts} file, which maps each alias to the container's address on the network once
 * the container runs (a name appears when its service starts, as on Railway). Node-to-node credentials come from
 * PGPASSWORD in each server's environment. Needs Testcontainers on the class path and a usable Docker engine: ask
 * {@link #unusableBecause()} first.
 *
 * <p>Cleaning up does not depend on Testcontainers' Ryuk container: {@link #close()} removes the containers and the
 * network, Testcontainers removes what is left when the JVM exits, and every container and network carries the label
 * {@link #OWNER_LABEL} naming the JVM that made it, so the next cluster removes those of a JVM that was killed.
 */
public final class ContainerCitusCluster implements CitusTestCluster {
    public static final DockerImageName IMAGE = DockerImageName.parse("citusdata/citus:13.2.0");
    /** On every container and network: {@code <pid>@<boot id>} of the JVM that made it. */
    public static final String OWNER_LABEL = "org.citusrailway.testkit.owner";
    private static final String OWNER = ProcessHandle.current().pid() + "@" + bootId();
    private static final Duration REGISTRY_ANSWER = Duration.ofSeconds(15);
    private static final Duration PULL_LIMIT = Duration.ofMinutes(10);
    private static final int PORT = 5432;

    private final String password;
    private final String domain;
    private final Network network = Network.builder()
            .createNetworkCmdModifier(cmd -> cmd.withLabels(Map.of(OWNER_LABEL, OWNER))).build();
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

    /**
     * Readies the engine for these clusters, or says why they cannot run here (for a skip message): the engine must
     * answer and hold {@link #IMAGE}, pulled if missing (given up within seconds when no registry answers). Ryuk, which
     * Testcontainers starts to remove containers after a JVM that was killed, is used when it is wanted and its image is
     * there or can be pulled; without it (TESTCONTAINERS_RYUK_DISABLED=true, {@code ryuk.disabled=true} in a
     * testcontainers.properties file or as a system property, or no image) the clusters clean up after themselves.
     * Containers and networks left by killed JVMs are removed here.
     */
    public static synchronized Optional<String> unusableBecause() {
        Optional<String> unusable = DockerEngine.unusableAfterPulling(List.of(IMAGE.asCanonicalNameString()),
                REGISTRY_ANSWER, PULL_LIMIT);
        if (unusable.isPresent()) {
            return unusable;
        }
        removeLeftovers();
        String ryukImage = ryukImage();
        if (ryukDisabled()) {
            System.out.println("ContainerCitusCluster: Ryuk is turned off; the clusters remove their own containers");
            return runWithoutRyuk("Ryuk is turned off");
        }
        Optional<String> noRyuk = DockerEngine.unusableAfterPulling(List.of(ryukImage), REGISTRY_ANSWER, PULL_LIMIT);
        if (noRyuk.isPresent()) {
            System.out.println("ContainerCitusCluster: running without Ryuk (" + noRyuk.get() + "); the clusters remove"
                    + " their own containers");
            return runWithoutRyuk(noRyuk.get());
        }
        return Optional.empty();
    }

    /**
     * The Ryuk image this Testcontainers version starts: its RyukContainer names it in a constant
     * ({@code testcontainers/ryuk:0.14.0} in 2.0.5), which the configured image substitution may replace.
     * TestcontainersConfiguration.getRyukImage() gives the name without that tag.
     */
    private static String ryukImage() {
        String name = TestcontainersConfiguration.getInstance().getRyukImage();
        try (java.io.InputStream in = ResourceReaper.class.getResourceAsStream("RyukContainer.class")) {
            if (in != null) {
                java.util.regex.Matcher tagged = java.util.regex.Pattern.compile("testcontainers/ryuk:[0-9A-Za-z._-]+")
                        .matcher(new String(in.readAllBytes(), java.nio.charset.StandardCharsets.ISO_8859_1));
                if (tagged.find()) {
                    name = tagged.group();
                }
            }
        } catch (IOException e) {
            // the untagged name
        }
        return org.testcontainers.utility.ImageNameSubstitutor.instance().apply(DockerImageName.parse(name))
                .asCanonicalNameString();
    }

    /** TESTCONTAINERS_RYUK_DISABLED, or ryuk.disabled in Testcontainers' properties files or the system properties. */
    private static boolean ryukDisabled() {
        return Boolean.parseBoolean(System.getenv("TESTCONTAINERS_RYUK_DISABLED"))
                || Boolean.parseBoolean(System.getProperty("ryuk.disabled"))
                || Boolean.parseBoolean(TestcontainersConfiguration.getInstance().getEnvVarOrProperty("ryuk.disabled",
                        "false"));
    }

    /**
     * Testcontainers reads TESTCONTAINERS_RYUK_DISABLED from the environment only, when it first needs its reaper; in
     * its place this JVM gets the reaper Testcontainers uses when that variable is set (it removes the session's
     * containers and networks when the JVM exits), unless a reaper is already in place.
     */
    private static Optional<String> runWithoutRyuk(String why) {
        if (Boolean.parseBoolean(System.getenv("TESTCONTAINERS_RYUK_DISABLED"))) {
            return Optional.empty(); // Testcontainers picks its JVM-exit reaper itself
        }
        try {
            java.lang.reflect.Field instance = ResourceReaper.class.getDeclaredField("instance");
            instance.setAccessible(true);
            synchronized (ResourceReaper.class) {
                if (instance.get(null) == null) {
                    var hook = Class.forName("org.testcontainers.utility.JVMHookResourceReaper")
                            .getDeclaredConstructor();
                    hook.setAccessible(true);
                    instance.set(null, hook.newInstance());
                }
            }
            return Optional.empty();
        } catch (ReflectiveOperationException | RuntimeException e) {
            return Optional.of(why + ", and this Testcontainers version cannot be told to run without Ryuk from inside"
                    + " the JVM (" + e + "); set TESTCONTAINERS_RYUK_DISABLED=true");
        }
    }

    /** Removes the containers and networks {@link #OWNER_LABEL} says a JVM of this machine made that is gone. */
    private static void removeLeftovers() {
        String boot = "@" + bootId();
        for (String kind : List.of("container", "network")) {
            List<String> listing = kind.equals("container")
                    ? List.of("docker", "ps", "-a", "--filter", "label=" + OWNER_LABEL, "--format",
                            "{{.ID}} {{.Label \"" + OWNER_LABEL + "\"}}")
                    : List.of("docker", "network", "ls", "--filter", "label=" + OWNER_LABEL, "--format",
                            "{{.ID}} {{.Label \"" + OWNER_LABEL + "\"}}");
            for (String line : docker(listing).lines().toList()) {
                String[] idAndOwner = line.strip().split(" ", 2);
                if (idAndOwner.length == 2 && idAndOwner[1].endsWith(boot) && ProcessHandle.of(Long.parseLong(
                        idAndOwner[1].substring(0, idAndOwner[1].indexOf('@')))).map(h -> !h.isAlive()).orElse(true)) {
                    System.out.println("ContainerCitusCluster: removing " + kind + " " + idAndOwner[0]
                            + " left by process " + idAndOwner[1]);
                    docker(kind.equals("container") ? List.of("docker", "rm", "-f", "-v", idAndOwner[0])
                            : List.of("docker", "network", "rm", idAndOwner[0]));
                }
            }
        }
    }

    private static String docker(List<String> command) {
        try {
            Process p = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD).start();
            String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
            }
            return out;
        } catch (IOException e) {
            return "";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "";
        }
    }

    /** This boot of the machine, so that a process id from an earlier boot is not taken for a live one. */
    private static String bootId() {
        try {
            return java.nio.file.Files.readString(java.nio.file.Path.of("/proc/sys/kernel/random/boot_id")).strip();
        } catch (IOException e) {
            return "unknown-boot";
        }
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
                .withLabel(OWNER_LABEL, OWNER)
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
    public boolean stoppedNodeNamesResolve() {
        return false;
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
