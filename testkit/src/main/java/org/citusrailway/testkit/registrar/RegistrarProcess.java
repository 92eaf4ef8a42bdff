package org.citusrailway.testkit.registrar;

import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.function.UnaryOperator;
import org.citusrailway.testkit.ProcStat;
import org.citusrailway.testkit.TestHosts;

/**
 * The registrar as a real child process: {@code java [@argfile] [options] -cp <class path> Main} or {@code -jar}, with
 * the given environment. Its stdout and stderr lines are kept in memory, each with the time it arrived (for waiting on
 * an event, start-up timing, and the output of a failed test). Stopped with SIGTERM as the platform stops it, or
 * SIGKILL; /proc gives its memory and CPU.
 */
public final class RegistrarProcess implements AutoCloseable {
    public static final String MAIN_CLASS = "org.citusrailway.registrar.Main";
    /** What a test's child JVM needs and no more: small heap, one GC thread, C1 only. */
    public static final List<String> SMALL_JVM = List.of("-XX:+UseSerialGC", "-Xmx64m", "-XX:TieredStopAtLevel=1",
            "-Xshare:auto");
    private static final int MAX_LINES = 100_000;

    private final Process process;
    private final List<String> command;
    private final long spawnedNanos;
    private final long spawnedEpochMillis;
    private final Integer httpPort;
    private final Captured stdout = new Captured();
    private final Captured stderr = new Captured();
    private final Thread stdoutReader;
    private final Thread stderrReader;
    private HttpClient http;

    /** A line of output and when it arrived (System.nanoTime). */
    public record Line(long nanos, String text) {
    }

    private RegistrarProcess(Process process, List<String> command, long spawnedNanos, long spawnedEpochMillis,
            Integer httpPort) {
        this.process = process;
        this.command = command;
        this.spawnedNanos = spawnedNanos;
        this.spawnedEpochMillis = spawnedEpochMillis;
        this.httpPort = httpPort;
        this.stdoutReader = reader("stdout", process.getInputStream(), stdout);
        this.stderrReader = reader("stderr", process.getErrorStream(), stderr);
    }

    /** Main from this JVM's (test) class path, as surefire runs tests before the jar is packaged. */
    public static Builder fromClassPath() {
        String classpath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        return new Builder(List.of("-cp", classpath, MAIN_CLASS)).jvmOptions(SMALL_JVM);
    }

    /** {@code java -jar <jar>}, with no JVM options unless given. */
    public static Builder fromJar(Path jar) {
        return new Builder(List.of("-jar", jar.toAbsolutePath().toString()));
    }

    public long pid() {
        return process.pid();
    }

    public boolean alive() {
        return process.isAlive();
    }

    public List<String> command() {
        return command;
    }

    public long spawnedNanos() {
        return spawnedNanos;
    }

    public long spawnedEpochMillis() {
        return spawnedEpochMillis;
    }

    /** Waits for the exit; true if it exited in time. Then {@link #stdout()} and {@link #stderr()} are whole. */
    public boolean waitFor(Duration timeout) throws InterruptedException {
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            return false;
        }
        stdoutReader.join(5_000);
        stderrReader.join(5_000);
        return true;
    }

    public int exitValue() {
        return process.exitValue();
    }

    /**
     * SIGTERM, as Railway and Docker stop a container; returns at once. Sent through the process handle:
     * Process.destroy would also close the pipes, and what the registrar says while it stops would be lost.
     */
    public void terminate() {
        process.toHandle().destroy();
    }

    /** SIGKILL, and waits for the exit. */
    public void kill() {
        process.toHandle().destroyForcibly();
        try {
            waitFor(Duration.ofSeconds(10));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** SIGTERM, as the platform stops it; SIGKILL if it has not exited after 5 s. */
    @Override
    public void close() {
        try {
            if (!process.isAlive()) {
                return;
            }
            terminate();
            try {
                if (!waitFor(Duration.ofSeconds(5))) {
                    kill();
                }
            } catch (InterruptedException e) {
                process.toHandle().destroyForcibly();
                Thread.currentThread().interrupt();
            }
        } finally {
            synchronized (this) {
                if (http != null) {
                    http.close();
                    http = null;
                }
            }
        }
    }

    /** Everything written to stdout so far, exactly. */
    public String stdout() {
        synchronized (stdout) {
            return stdout.raw.toString();
        }
    }

    /** Everything written to stderr so far, exactly. */
    public String stderr() {
        synchronized (stderr) {
            return stderr.raw.toString();
        }
    }

    /** stdout, then stderr. */
    public String output() {
        return stdout() + stderr();
    }

    public List<Line> stdoutLines() {
        synchronized (stdout) {
            return List.copyOf(stdout.lines);
        }
    }

    public List<String> linesContaining(String text) {
        return stdoutLines().stream().map(Line::text).filter(l -> l.contains(text)).toList();
    }

    /** The first stdout line with the given event id (a JSON log line's {@code "event":"<id>"}). */
    public Line awaitEvent(String eventId, Duration timeout) throws InterruptedException {
        String field = "\"event\":\"" + eventId + "\"";
        return awaitLine(field + " in the registrar's output", line -> line.contains(field), timeout);
    }

    /** The first stdout line that matches; an AssertionError with the output if none comes in time. */
    public Line awaitLine(String what, Predicate<String> match, Duration timeout) throws InterruptedException {
        Line line = firstLine(match, timeout);
        if (line == null) {
            throw new AssertionError("within " + timeout.toMillis() + "ms: " + what + (process.isAlive() ? ""
                    : " (the registrar exited with " + process.exitValue() + ")") + "; output:\n" + tail());
        }
        return line;
    }

    /** Milliseconds from spawn to the first stdout line that matches, waiting up to the timeout; -1 if none. */
    public double millisToLine(Predicate<String> match, Duration timeout) throws InterruptedException {
        Line line = firstLine(match, timeout);
        return line == null ? -1 : (line.nanos() - spawnedNanos) / 1e6;
    }

    private Line firstLine(Predicate<String> match, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        int checked = 0;
        while (true) {
            boolean exited = !process.isAlive();
            if (exited) {
                stdoutReader.join(5_000);
            }
            List<Line> lines;
            synchronized (stdout) {
                lines = List.copyOf(stdout.lines.subList(checked, stdout.lines.size()));
            }
            for (Line line : lines) {
                if (match.test(line.text())) {
                    return line;
                }
            }
            checked += lines.size();
            if (exited || System.nanoTime() > deadline) {
                return null;
            }
            Thread.sleep(5);
        }
    }

    /** The last 40 lines of stdout and stderr, for a failure message. */
    public String tail() {
        List<Line> all = new ArrayList<>(stdoutLines());
        synchronized (stderr) {
            all.addAll(stderr.lines);
        }
        all.sort((a, b) -> Long.compare(a.nanos(), b.nanos()));
        StringBuilder out = new StringBuilder();
        all.subList(Math.max(0, all.size() - 40), all.size()).forEach(l -> out.append(l.text()).append('\n'));
        return out.toString();
    }

    /**
     * GET a path of its HTTP endpoints (started with {@link Builder#httpPort}); an IOException unless 200. One client
     * per process, so repeated reads (a benchmark scraping /metrics every pass) reuse the kept-alive connection
     * instead of costing the registrar a new one each time.
     */
    public String http(String path) throws IOException, InterruptedException {
        HttpResponse<String> response = httpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                + httpPort + path)).timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 200) {
            throw new IOException(path + " answered " + response.statusCode());
        }
        return response.body();
    }

    private synchronized HttpClient httpClient() {
        if (httpPort == null) {
            throw new IllegalStateException("started without an HTTP port");
        }
        if (http == null) {
            http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        }
        return http;
    }

    /** Resident set size now, in kB. */
    public long rssKb() {
        return ProcStat.rssKb(pid());
    }

    /** The largest resident set size so far, in kB. */
    public long peakRssKb() {
        return ProcStat.peakRssKb(pid());
    }

    /** CPU time used so far (user + system), in clock ticks ({@link ProcStat#ticksToMillis}). */
    public long cpuTicks() {
        return ProcStat.cpuTicks(pid());
    }

    /** What one stream has said: its text exactly as written, and its lines with their arrival times. */
    private static final class Captured {
        private static final int MAX_CHARS = 16 << 20;
        final StringBuilder raw = new StringBuilder();
        final List<Line> lines = new ArrayList<>();
    }

    private static Thread reader(String name, InputStream stream, Captured captured) {
        return Thread.ofPlatform().daemon().name("registrar-" + name).start(() -> {
            StringBuilder line = new StringBuilder();
            char[] buffer = new char[8192];
            try (Reader reader = new InputStreamReader(stream, StandardCharsets.UTF_8)) {
                int n;
                while ((n = reader.read(buffer)) > 0) {
                    long now = System.nanoTime();
                    synchronized (captured) {
                        if (captured.raw.length() < Captured.MAX_CHARS) {
                            captured.raw.append(buffer, 0, n);
                        }
                        for (int i = 0; i < n; i++) {
                            if (buffer[i] == '\n') {
                                add(captured, now, line);
                            } else {
                                line.append(buffer[i]);
                            }
                        }
                    }
                }
            } catch (IOException e) {
                // the process ended
            }
            synchronized (captured) {
                if (!line.isEmpty()) {
                    add(captured, System.nanoTime(), line);
                }
            }
        });
    }

    private static void add(Captured captured, long nanos, StringBuilder line) {
        int end = line.length() > 0 && line.charAt(line.length() - 1) == '\r' ? line.length() - 1 : line.length();
        if (captured.lines.size() < MAX_LINES) {
            captured.lines.add(new Line(nanos, line.substring(0, end)));
        }
        line.setLength(0);
    }

    /** How to start it; {@link #start()} starts it. */
    public static final class Builder {
        private final List<String> launch;
        private Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        private final List<String> jvmOptions = new ArrayList<>();
        private Path argFile;
        private final Map<String, String> properties = new LinkedHashMap<>();
        private boolean testHosts = true;
        private final List<String> args = new ArrayList<>();
        private final Map<String, String> env = new LinkedHashMap<>();
        private boolean onlyPath;
        private Path directory;
        private Integer httpPort;
        private UnaryOperator<List<String>> wrapper = command -> command;

        private Builder(List<String> launch) {
            this.launch = launch;
        }

        public Builder java(Path java) {
            this.java = java;
            return this;
        }

        /** JVM options, replacing those given before (for a class path start, {@link #SMALL_JVM}). */
        public Builder jvmOptions(List<String> options) {
            jvmOptions.clear();
            jvmOptions.addAll(options);
            return this;
        }

        /** A launcher argument file ({@code @file}, e.g. registrar/jvm.options), read before the other options. */
        public Builder argFile(Path file) {
            this.argFile = file.toAbsolutePath();
            return this;
        }

        public Builder systemProperty(String name, String value) {
            properties.put(name, value);
            return this;
        }

        /**
         * Resolve through the system's resolver configuration (by default the child resolves from the test hosts
         * file when this JVM does).
         */
        public Builder systemResolver() {
            this.testHosts = false;
            return this;
        }

        /** Arguments after the main class or jar. */
        public Builder args(List<String> arguments) {
            args.addAll(arguments);
            return this;
        }

        public Builder env(Map<String, String> variables) {
            env.putAll(variables);
            return this;
        }

        public Builder env(String name, String value) {
            env.put(name, value);
            return this;
        }

        /**
         * Inherit nothing from this JVM's environment but PATH (by default everything is inherited except the
         * registrar's own variables, so the test's environment cannot change its configuration).
         */
        public Builder onlyPath() {
            this.onlyPath = true;
            return this;
        }

        public Builder directory(Path directory) {
            this.directory = directory;
            return this;
        }

        /** Sets PORT, for {@link RegistrarProcess#http}. */
        public Builder httpPort(int port) {
            this.httpPort = port;
            return this;
        }

        /** Wraps the whole command line, e.g. into a ResolverSandbox's namespaces. */
        public Builder wrapper(UnaryOperator<List<String>> wrapper) {
            this.wrapper = wrapper;
            return this;
        }

        public List<String> command() {
            List<String> command = new ArrayList<>(List.of(java.toString()));
            if (argFile != null) {
                command.add("@" + argFile);
            }
            command.addAll(jvmOptions);
            if (testHosts && TestHosts.inUse()) {
                command.add("-Djdk.net.hosts.file=" + TestHosts.file());
            }
            properties.forEach((name, value) -> command.add("-D" + name + "=" + value));
            command.addAll(launch);
            command.addAll(args);
            return wrapper.apply(command);
        }

        public RegistrarProcess start() {
            List<String> command = command();
            ProcessBuilder pb = new ProcessBuilder(command);
            if (directory != null) {
                pb.directory(directory.toFile());
            }
            Map<String, String> childEnv = pb.environment();
            if (onlyPath) {
                childEnv.keySet().removeIf(k -> !k.equals("PATH"));
            } else {
                childEnv.keySet().removeIf(Builder::registrarVariable);
            }
            childEnv.putAll(env);
            if (httpPort != null) {
                childEnv.put("PORT", Integer.toString(httpPort));
            }
            try {
                long epochMillis = System.currentTimeMillis();
                long nanos = System.nanoTime();
                Process process = pb.start();
                return new RegistrarProcess(process, List.copyOf(command), nanos, epochMillis, httpPort);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot start " + command, e);
            }
        }

        private static boolean registrarVariable(String name) {
            return name.startsWith("POSTGRES") || name.startsWith("RAILWAY") || name.startsWith("WORKER")
                    || name.startsWith("COORDINATOR") || name.startsWith("REBALANCE") || name.equals("PORT")
                    || name.equals("LOG_FORMAT") || name.equals("SCAN_INTERVAL") || name.equals("READY_CHECK_INTERVAL");
        }
    }
}
