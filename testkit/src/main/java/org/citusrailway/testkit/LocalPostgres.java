package org.citusrailway.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;

/**
 * A real PostgreSQL server in a temporary directory on 127.0.0.1, started and stopped by the test that owns it. TCP
 * logins take TLS and scram-sha-256, as on the template's nodes: a connection without TLS is rejected.
 */
public final class LocalPostgres implements AutoCloseable {
    public static final String SUPERUSER = "postgres";

    private final PostgresBinaries binaries;
    private final Path root;
    private final Path dataDir;
    private final Path home;
    private final Path socketDir;
    private final int port;
    private final String password;
    private final Map<String, String> settings;
    private final Map<String, String> environment;
    private final String listenAddress;
    private final UnaryOperator<List<String>> wrapper;
    private Process server;

    private LocalPostgres(Builder builder) {
        this.binaries = builder.binaries;
        this.password = builder.password;
        this.settings = new LinkedHashMap<>(builder.settings);
        this.environment = new LinkedHashMap<>(builder.environment);
        this.port = builder.port > 0 ? builder.port : FreePorts.next();
        this.listenAddress = builder.listenAddress;
        this.wrapper = builder.wrapper;
        try {
            this.root = Files.createTempDirectory("citus-railway-pg-");
            this.dataDir = root.resolve("data");
            this.home = root.resolve("home");
            this.socketDir = Files.createTempDirectory(Path.of("/tmp"), "pgs");
            Files.createDirectories(home);
            Files.setPosixFilePermissions(root, PosixFilePermissions.fromString("rwxr-xr-x"));
            Files.setPosixFilePermissions(socketDir, PosixFilePermissions.fromString("rwxr-xr-x"));
            if (builder.pgpass != null) {
                writePgpass(builder.pgpass);
            }
            PostgresUser.own(root);
            PostgresUser.own(socketDir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static Builder builder(PostgresBinaries binaries) {
        return new Builder(binaries);
    }

    public int port() {
        return port;
    }

    public String password() {
        return password;
    }

    public Path dataDir() {
        return dataDir;
    }

    /** Where the server's Unix socket is (local connections there are trusted). */
    public Path socketDir() {
        return socketDir;
    }

    /** The server's HOME: where its {@code .pgpass} lives. */
    public Path home() {
        return home;
    }

    public Path logFile() {
        return root.resolve("server.log");
    }

    public PostgresBinaries binaries() {
        return binaries;
    }

    public String jdbcUrl(String database) {
        String host = listenAddress.contains(":") ? "[" + listenAddress + "]" : listenAddress;
        return "jdbc:postgresql://" + host + ":" + port + "/" + database;
    }

    public Connection connect() throws SQLException {
        return connect("postgres");
    }

    public Connection connect(String database) throws SQLException {
        Properties props = new Properties();
        props.setProperty("user", SUPERUSER);
        props.setProperty("password", password);
        props.setProperty("connectTimeout", "5");
        return DriverManager.getConnection(jdbcUrl(database), props);
    }

    /** Runs statements in order, on one connection, as the superuser in the given database. */
    public void execute(String database, String... statements) {
        try {
            sql(database).executeAll(statements);
        } catch (IllegalStateException e) {
            throw new IllegalStateException("on the server on port " + port + ": " + e.getMessage(), e);
        }
    }

    /**
     * Sets a server setting in the data directory's {@code postgresql.conf} and reloads it, as the node's generated
     * configuration file sets one (a later line wins). Unlike ALTER SYSTEM, this takes a custom setting no extension
     * defines ({@code citus_node.*}) on every major version: ALTER SYSTEM accepts those only from PostgreSQL 17.
     * Returns once a new session sees the value (pg_reload_conf() only signals the postmaster).
     */
    public void configure(String name, String value) {
        try {
            Files.writeString(dataDir.resolve("postgresql.conf"), name + " = '" + value.replace("'", "''") + "'\n",
                    StandardCharsets.UTF_8, java.nio.file.StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + name + " into postgresql.conf", e);
        }
        execute("postgres", "select pg_reload_conf()");
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!value.equals(sql("postgres").value("select current_setting('" + name + "', true)"))) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(name + " = '" + value + "' not in effect 30 s after the reload on the"
                        + " server on port " + port);
            }
            sleep(50);
        }
    }

    /** Statements as the superuser in database postgres, a connection each. */
    public Sql sql() {
        return sql("postgres");
    }

    public Sql sql(String database) {
        return Sql.on(() -> connect(database));
    }

    public LocalPostgres start() {
        if (server != null && server.isAlive()) {
            return this;
        }
        if (!Files.exists(dataDir.resolve("PG_VERSION"))) {
            initdb();
        }
        List<String> command = new ArrayList<>(List.of(binaries.bin("postgres").toString(), "-D", dataDir.toString(),
                "-p", Integer.toString(port), "-k", socketDir.toString(), "-c", "listen_addresses=" + listenAddress,
                "-c", "fsync=off", "-c", "ssl=on"));
        settings.forEach((name, value) -> {
            command.add("-c");
            command.add(name + "=" + value);
        });
        try {
            ProcessBuilder pb = new ProcessBuilder(wrapper.apply(PostgresUser.command(command)))
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile().toFile()));
            cleanEnvironment(pb.environment());
            server = pb.start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start postgres", e);
        }
        awaitReady(Duration.ofSeconds(60));
        return this;
    }

    /**
     * Starts the servers in parallel and runs the statements on each (database postgres). If any fails, every one of
     * them is stopped again, so a failed set-up leaves no server behind, and the failure names the server's log.
     */
    public static void startAll(List<LocalPostgres> servers, String... statements) {
        List<Thread> starts = new ArrayList<>();
        java.util.Map<LocalPostgres, RuntimeException> failures = new java.util.concurrent.ConcurrentHashMap<>();
        for (LocalPostgres server : servers) {
            starts.add(Thread.ofVirtual().start(() -> {
                try {
                    server.start();
                    server.execute("postgres", statements);
                } catch (RuntimeException e) {
                    failures.put(server, e);
                }
            }));
        }
        for (Thread start : starts) {
            try {
                start.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                failures.putIfAbsent(servers.get(0), new IllegalStateException("interrupted while starting", e));
            }
        }
        if (!failures.isEmpty()) {
            servers.forEach(LocalPostgres::close);
            var failure = failures.entrySet().iterator().next();
            throw new IllegalStateException("a server on port " + failure.getKey().port() + " did not start: "
                    + failure.getValue().getMessage(), failure.getValue());
        }
    }

    /** SIGKILL, then deletes the data directory: the next {@link #start()} runs initdb again. */
    public void wipe() {
        kill();
        deleteTree(dataDir);
    }

    /** Fast shutdown: disconnects clients, checkpoints, exits. */
    public void stop() {
        if (server == null || !server.isAlive()) {
            return;
        }
        run(List.of(binaries.bin("pg_ctl").toString(), "-D", dataDir.toString(), "-m", "fast", "-w", "-t", "60",
                "stop"));
        waitForExit();
    }

    /** SIGKILL to the postmaster, as a container runtime does when draining time runs out. */
    public void kill() {
        if (server == null) {
            return;
        }
        String sharedMemory = sharedMemoryId();
        server.descendants().forEach(ProcessHandle::destroyForcibly);
        server.destroyForcibly();
        waitForExit();
        // Orphaned backends notice the postmaster is gone and exit; give them a moment so the port is free and the
        // shared memory detached (a server started while a backend still holds it refuses: "still in use").
        for (int i = 0; i < 100 && Files.exists(dataDir.resolve("postmaster.pid"))
                && (portInUse() || sharedMemoryAttached(sharedMemory)); i++) {
            sleep(100);
        }
    }

    /** The System V shared memory id in postmaster.pid (line 7: key and id), or null. */
    private String sharedMemoryId() {
        try {
            List<String> lines = Files.readAllLines(dataDir.resolve("postmaster.pid"));
            String[] keyAndId = lines.size() > 6 ? lines.get(6).trim().split("\\s+") : new String[0];
            return keyAndId.length == 2 ? keyAndId[1] : null;
        } catch (IOException e) {
            return null;
        }
    }

    /** Whether any process is still attached to that segment (/proc/sysvipc/shm: shmid is column 2, nattch 7). */
    private static boolean sharedMemoryAttached(String shmid) {
        if (shmid == null) {
            return false;
        }
        try {
            return Files.readAllLines(Path.of("/proc/sysvipc/shm")).stream().skip(1).map(l -> l.trim().split("\\s+"))
                    .anyMatch(columns -> columns.length > 6 && columns[1].equals(shmid) && !columns[6].equals("0"));
        } catch (IOException e) {
            return false;
        }
    }

    public boolean isRunning() {
        return server != null && server.isAlive();
    }

    @Override
    public void close() {
        try {
            stop();
        } catch (RuntimeException e) {
            kill();
        }
        deleteTree(root);
        deleteTree(socketDir);
    }

    private void initdb() {
        try {
            Path pwfile = root.resolve("pwfile");
            Files.writeString(pwfile, password + "\n");
            PostgresUser.own(pwfile);
            run(List.of(binaries.bin("initdb").toString(), "-D", dataDir.toString(), "-U", SUPERUSER,
                    "--pwfile=" + pwfile, "--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8",
                    "--locale=C", "--no-sync"));
            Files.delete(pwfile);
            TlsPair.copyInto(dataDir);
            Path hba = dataDir.resolve("pg_hba.conf");
            Files.writeString(hba, """
                    local     all  all             trust
                    hostssl   all  all  0.0.0.0/0  scram-sha-256
                    hostssl   all  all  ::/0       scram-sha-256
                    hostnossl all  all  0.0.0.0/0  reject
                    hostnossl all  all  ::/0       reject
                    """);
            PostgresUser.own(hba);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void writePgpass(String content) throws IOException {
        Path pgpass = home.resolve(".pgpass");
        Files.writeString(pgpass, content, StandardCharsets.UTF_8);
        Files.setPosixFilePermissions(pgpass, PosixFilePermissions.fromString("rw-------"));
    }

    private void cleanEnvironment(Map<String, String> env) {
        env.keySet().removeIf(k -> k.startsWith("PG"));
        env.put("HOME", home.toString());
        env.putAll(environment);
    }

    private void run(List<String> command) {
        try {
            ProcessBuilder pb = new ProcessBuilder(PostgresUser.command(command)).redirectErrorStream(true);
            cleanEnvironment(pb.environment());
            Process p = pb.start();
            String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IllegalStateException(String.join(" ", command) + " failed:\n" + output);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private void awaitReady(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        SQLException last = null;
        while (System.nanoTime() < deadline) {
            if (!server.isAlive()) {
                throw new IllegalStateException("postgres exited during start-up; log:\n" + readLog());
            }
            try (Connection ignored = connect()) {
                return;
            } catch (SQLException e) {
                last = e;
                sleep(50);
            }
        }
        throw new IllegalStateException("postgres did not accept connections within " + timeout + ": " + last
                + "\nlog:\n" + readLog());
    }

    public String readLog() {
        try {
            return Files.exists(logFile()) ? Files.readString(logFile()) : "";
        } catch (IOException e) {
            return "(log unreadable: " + e.getMessage() + ")";
        }
    }

    private void waitForExit() {
        try {
            server.waitFor(60, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private boolean portInUse() {
        try (ServerSocket s = new ServerSocket(port, 1, InetAddress.getByName(listenAddress))) {
            return false;
        } catch (IOException e) {
            return true;
        }
    }


    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    static void deleteTree(Path path) {
        if (!Files.exists(path)) {
            return;
        }
        try (var tree = Files.walk(path)) {
            tree.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // best effort: temporary files only
        }
    }

    /** Options for a server; {@link #start()} creates it. */
    public static final class Builder {
        private final PostgresBinaries binaries;
        private String password = "test-password";
        private int port;
        private String pgpass;
        private String listenAddress = "127.0.0.1";
        private UnaryOperator<List<String>> wrapper = command -> command;
        private final Map<String, String> settings = new LinkedHashMap<>();
        private final Map<String, String> environment = new LinkedHashMap<>();

        private Builder(PostgresBinaries binaries) {
            this.binaries = binaries;
        }

        public Builder password(String password) {
            this.password = password;
            return this;
        }

        public Builder port(int port) {
            this.port = port;
            return this;
        }

        /** The one address the server listens on and tests connect to (default 127.0.0.1). */
        public Builder listenAddress(String address) {
            this.listenAddress = address;
            return this;
        }

        /** Wraps the server's command line, e.g. to start it in a {@link ResolverSandbox}. */
        public Builder wrapper(UnaryOperator<List<String>> wrapper) {
            this.wrapper = wrapper;
            return this;
        }

        /** A server setting passed with {@code -c}. */
        public Builder setting(String name, String value) {
            settings.put(name, value);
            return this;
        }

        /** Preloads citus and enables what shard moves need. */
        public Builder citus() {
            settings.put("shared_preload_libraries", "citus");
            settings.put("wal_level", "logical");
            settings.put("max_worker_processes", "20");
            settings.put("max_replication_slots", "20");
            settings.put("max_wal_senders", "20");
            settings.put("citus.node_conninfo", "sslmode=require");
            return this;
        }

        /** Content of the server's {@code ~/.pgpass}, for node-to-node connections. */
        public Builder pgpass(String content) {
            this.pgpass = content;
            return this;
        }

        public Builder environment(String name, String value) {
            environment.put(name, value);
            return this;
        }

        public LocalPostgres build() {
            return new LocalPostgres(this);
        }

        public LocalPostgres start() {
            return build().start();
        }
    }
}
