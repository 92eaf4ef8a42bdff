package org.citusrailway.testkit.node;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.citusrailway.testkit.FreePorts;
import org.citusrailway.testkit.PostgresBinaries;
import org.citusrailway.testkit.PostgresUser;
import org.citusrailway.testkit.Sql;

/**
 * One Citus node as the image runs it: node/entrypoint.sh started as root with a Railway-like environment,
 * in a temporary directory that stands for the container (volume with lost+found, the postgres user's home,
 * a cgroup root, the generated-config directory). The official docker-entrypoint.sh is replaced by the
 * resource node/docker-entrypoint-stand-in.sh, which execs postgres, so the wrapper's process becomes the
 * postmaster.
 */
public final class NodeUnderTest implements AutoCloseable {
    /**
     * The repository root, whose node/ scripts run: system property {@code project.root}; without it the working
     * directory when it holds node/entrypoint.sh (programs run from the root), else its parent (a module's tests).
     */
    public static final Path PROJECT_ROOT = projectRoot();
    public static final Path NODE_DIR = PROJECT_ROOT.resolve("node");
    public static final Path ENTRYPOINT = NODE_DIR.resolve("entrypoint.sh");
    public static final Path HEALTHCHECK = NODE_DIR.resolve("healthcheck.sh");
    public static final Path INITDB_DIR = NODE_DIR.resolve("initdb");

    public final NodeBinaries binaries;
    public final Path root;
    public final Path volume;
    public final Path pgdata;
    public final Path home;
    public final Path cgroup;
    public final Path configDir;
    public final Path socketDir;
    public final Path log;
    public final int port;
    private final Path standIn;
    private final Map<String, String> environment = new LinkedHashMap<>();
    private final List<String> extraArguments = new ArrayList<>();
    private boolean usePort = true;
    private Process process;
    private final StringBuilder killedRuns = new StringBuilder();

    public NodeUnderTest(NodeBinaries binaries, String role) {
        this.binaries = binaries;
        try {
            root = Files.createTempDirectory("citus-node-");
            volume = root.resolve("volume");
            pgdata = volume.resolve("pgdata");
            home = root.resolve("home");
            cgroup = root.resolve("cgroup");
            configDir = root.resolve("etc-citus-node");
            socketDir = Files.createTempDirectory(Path.of("/tmp"), "cns");
            log = root.resolve("node.log");
            standIn = root.resolve("docker-entrypoint.sh");
            Files.createDirectories(volume.resolve("lost+found"));
            Files.createDirectories(home);
            Files.createDirectories(cgroup);
            try (InputStream in = NodeUnderTest.class.getResourceAsStream("/node/docker-entrypoint-stand-in.sh")) {
                Files.copy(in, standIn, StandardCopyOption.REPLACE_EXISTING);
            }
            for (Path p : List.of(root, volume, standIn, socketDir)) {
                Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
            }
            PostgresUser.own(home);
            PostgresUser.own(socketDir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        port = freePort();
        environment.put("PATH", binaries.postgres().binDir() + ":/usr/local/bin:/usr/bin:/bin");
        environment.put("CITUS_NODE_ROLE", role);
        environment.put("POSTGRES_PASSWORD", "node-password");
        environment.put("RAILWAY_VOLUME_MOUNT_PATH", volume.toString());
        environment.put("PGDATA", pgdata.toString());
        environment.put("NODE_POSTGRES_HOME", home.toString());
        environment.put("NODE_CGROUP_ROOT", cgroup.toString());
        environment.put("NODE_CONFIG_DIR", configDir.toString());
        environment.put("NODE_OFFICIAL_ENTRYPOINT", standIn.toString());
        // The local DNS cache would rewrite this machine's /etc/resolv.conf: NodeDnsCacheTest runs it in a sandbox.
        environment.put("LOCAL_DNS_CACHE", "off");
        environment.put("POSTGRES_INITDB_ARGS", "--no-sync");
        environment.put("STANDIN_INITDB_DIR", binaries.citus() ? INITDB_DIR.toString() : root.resolve("no-init").toString());
        memoryLimitV2(1L << 30);
    }

    public NodeUnderTest env(String name, String value) {
        environment.put(name, value);
        return this;
    }

    public NodeUnderTest env(Map<String, String> variables) {
        environment.putAll(variables);
        return this;
    }

    public NodeUnderTest withoutEnv(String name) {
        environment.remove(name);
        return this;
    }

    public String env(String name) {
        return environment.get(name);
    }

    public String password() {
        return environment.get("POSTGRES_PASSWORD");
    }

    public String database() {
        return environment.getOrDefault("POSTGRES_DB", "postgres");
    }

    /** Leaves the port to the generated configuration (5432) instead of passing -c port=... */
    public NodeUnderTest onDefaultPort() {
        usePort = false;
        return this;
    }

    public int serverPort() {
        return usePort ? port : 5432;
    }

    public NodeUnderTest memoryLimitV2(long bytes) {
        return cgroupFiles(Map.of("memory.max", Long.toString(bytes)));
    }

    public NodeUnderTest memoryLimitV1(long bytes) {
        return cgroupFiles(Map.of("memory/memory.limit_in_bytes", Long.toString(bytes)));
    }

    public NodeUnderTest noMemoryLimitV2() {
        return cgroupFiles(Map.of("memory.max", "max"));
    }

    private NodeUnderTest cgroupFiles(Map<String, String> files) {
        try {
            deleteTree(cgroup);
            Files.createDirectories(cgroup);
            for (var file : files.entrySet()) {
                Path path = cgroup.resolve(file.getKey());
                Files.createDirectories(path.getParent());
                Files.writeString(path, file.getValue() + "\n");
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return this;
    }

    private List<String> command() {
        List<String> command = new ArrayList<>(List.of(ENTRYPOINT.toString(), "postgres"));
        if (usePort) {
            command.addAll(List.of("-c", "port=" + port));
        }
        command.addAll(List.of("-c", "unix_socket_directories=" + socketDir, "-c", "fsync=off"));
        if (!binaries.citus()) {
            // Without a Citus installation the preload list is narrowed on the command line.
            command.addAll(List.of("-c", "shared_preload_libraries=pg_stat_statements"));
        }
        command.addAll(extraArguments);
        return command;
    }

    private ProcessBuilder processBuilder() {
        ProcessBuilder pb = new ProcessBuilder(command());
        pb.environment().clear();
        pb.environment().putAll(environment);
        pb.directory(root.toFile());
        return pb;
    }

    /** Starts the node and waits until it accepts password logins over TCP. */
    public NodeUnderTest start() {
        startInBackground();
        long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        SQLException last = null;
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("the node exited with " + process.exitValue() + "; output:\n" + output());
            }
            try (Connection ignored = connect()) {
                return this;
            } catch (SQLException e) {
                last = e;
                sleep(100);
            }
        }
        throw new IllegalStateException("the node did not accept connections: " + last + "\n" + output());
    }

    /** Runs the wrapper to its end (for boots it must refuse). */
    public Result runToExit() {
        try {
            Path out = root.resolve("refused.out");
            Path err = root.resolve("refused.err");
            Process p = processBuilder().redirectOutput(out.toFile()).redirectError(err.toFile()).start();
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException("the wrapper did not exit; it was expected to refuse to start");
            }
            return new Result(p.exitValue(), Files.readString(out), Files.readString(err));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    public record Result(int exitCode, String stdout, String stderr) {
        public List<String> stderrLines() {
            return stderr.lines().filter(l -> !l.isBlank()).toList();
        }
    }

    public Process process() {
        return process;
    }

    /** Starts the wrapper and returns at once, for kills during the boot steps. */
    public NodeUnderTest startInBackground() {
        try {
            Files.deleteIfExists(log);
            process = processBuilder().redirectErrorStream(true).redirectOutput(log.toFile()).start();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return this;
    }

    /**
     * SIGKILL to the wrapper and every process under it at once, as an OOM kill, a host crash or the
     * runtime's SIGKILL after the draining time does to a container. The output of the killed run is kept.
     */
    public void kill() {
        if (process == null) {
            return;
        }
        // Everything of this node, as a container's end takes every process in it: the wrapper's tree, and
        // what left it on the way (pg_ctl daemonises the first boot's temporary server), found by its paths.
        List<ProcessHandle> all = new ArrayList<>(process.descendants().toList());
        all.add(process.toHandle());
        String mine = root.toString();
        ProcessHandle.allProcesses().filter(p -> p.info().commandLine().map(c -> c.contains(mine)).orElse(false))
                .forEach(all::add);
        all.forEach(ProcessHandle::destroyForcibly);
        ProcessHandle.allProcesses().filter(p -> p.info().commandLine().map(c -> c.contains(mine)).orElse(false))
                .forEach(p -> {
                    p.destroyForcibly();
                    all.add(p);
                });
        // Killed grandchildren are reaped by whoever adopts them, which may never happen in a sandbox; a zombie
        // holds no port, memory or file, so a short wait is enough.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
        for (ProcessHandle handle : all) {
            try {
                handle.onExit().get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
                // a zombie: gone for every purpose here
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        killedRuns.append(output());
    }

    /** Output of every run killed so far, then of the current one. */
    public String allOutput() {
        return killedRuns + output();
    }

    /** SIGTERM, what Railway and Docker send to stop a container. Returns the exit code. */
    public int stop() {
        return stop("TERM");
    }

    /** Sends the signal to the entrypoint process and waits for the exit. */
    public int stop(String signal) {
        if (process == null || !process.isAlive()) {
            return process == null ? 0 : process.exitValue();
        }
        run(List.of("kill", "-" + signal, Long.toString(process.pid())), Map.of());
        try {
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                throw new IllegalStateException("the node did not stop on SIG" + signal + ":\n" + output());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return process.exitValue();
    }

    public String output() {
        try {
            return Files.exists(log) ? Files.readString(log) : "";
        } catch (IOException e) {
            return "(unreadable: " + e + ")";
        }
    }

    public Connection connect() throws SQLException {
        return connect(database(), password(), "");
    }

    public Connection connect(String database, String password, String options) throws SQLException {
        Properties props = new Properties();
        props.setProperty("user", environment.getOrDefault("POSTGRES_USER", "postgres"));
        if (password != null) {
            props.setProperty("password", password);
        }
        props.setProperty("connectTimeout", "5");
        props.setProperty("sslmode", "require");
        return DriverManager.getConnection(
                "jdbc:postgresql://127.0.0.1:" + serverPort() + "/" + database + options, props);
    }

    /** Statements on this node's database as its superuser, a connection each. */
    public Sql sql() {
        return Sql.on(this::connect);
    }

    public String query(String sql) {
        return sql().value(sql);
    }

    public void execute(String... statements) {
        sql().executeAll(statements);
    }

    public String show(String setting) {
        return query("show " + setting);
    }

    /** Runs a command as the postgres OS user with only the given environment (plus PATH). */
    public static Result runAsPostgres(List<String> command, Map<String, String> env) {
        return run(PostgresUser.command(command), env);
    }

    public static Result run(List<String> command, Map<String, String> env) {
        try {
            ProcessBuilder pb = new ProcessBuilder(command);
            pb.environment().clear();
            pb.environment().put("PATH", "/usr/bin:/bin");
            pb.environment().putAll(env);
            Process p = pb.start();
            byte[] err = p.getErrorStream().readAllBytes();
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException(command + " did not finish");
            }
            return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8),
                    new String(err, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** psql over TCP as the postgres OS user, with this node's home (its .pgpass) and no password given. */
    public Result psqlWithPgpassTo(NodeUnderTest target, String sql) {
        return runAsPostgres(List.of("psql", "-X", "-A", "-t", "-w", "-h", "127.0.0.1", "-p",
                Integer.toString(target.serverPort()), "-U", target.environment.getOrDefault("POSTGRES_USER", "postgres"),
                "-d", target.database(), "-c", sql), Map.of("HOME", home.toString()));
    }

    @Override
    public void close() {
        if (process != null && process.isAlive()) {
            try {
                stop();
            } catch (RuntimeException e) {
                process.descendants().forEach(ProcessHandle::destroyForcibly);
                process.destroyForcibly();
            }
        }
        deleteTree(root);
        deleteTree(socketDir);
    }

    private static Path projectRoot() {
        String property = System.getProperty("project.root");
        if (property != null) {
            return Path.of(property).toAbsolutePath().normalize();
        }
        Path here = Path.of("").toAbsolutePath();
        return Files.isRegularFile(here.resolve("node/entrypoint.sh")) ? here : here.getParent();
    }

    public static int freePort() {
        return FreePorts.next();
    }

    public static void deleteTree(Path path) {
        if (!Files.exists(path)) {
            return;
        }
        try (Stream<Path> tree = Files.walk(path)) {
            tree.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // temporary files only
        }
    }

    public static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * The PostgreSQL installation the nodes run on: Debian's with Citus when installed, else the embedded
     * PostgreSQL 17 (the image's major version; force it with -Dnode.postgres=embedded). A major chosen with
     * {@link PostgresBinaries#MAJOR_PROPERTY} is Debian's of that major, with Citus if it is installed there.
     */
    public record NodeBinaries(PostgresBinaries postgres, boolean citus) {
        public static NodeBinaries best() {
            if ("embedded".equals(System.getProperty("node.postgres"))) {
                return new NodeBinaries(PostgresBinaries.embedded(), false);
            }
            java.util.OptionalInt chosen = PostgresBinaries.chosenMajor();
            if (chosen.isPresent()) {
                PostgresBinaries debian = PostgresBinaries.debian(chosen.getAsInt()).orElseThrow(
                        () -> new IllegalStateException(PostgresBinaries.citusMissingReason()));
                return new NodeBinaries(debian, debian.hasCitus());
            }
            return PostgresBinaries.withCitus().map(b -> new NodeBinaries(b, true))
                    .orElseGet(() -> new NodeBinaries(PostgresBinaries.embedded(), false));
        }
    }
}
