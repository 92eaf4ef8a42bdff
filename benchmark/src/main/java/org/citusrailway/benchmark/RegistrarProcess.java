package org.citusrailway.benchmark;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * The registrar as a real child process. Its stdout lines are kept with the time each arrived (for start-up timing and
 * for the report when something goes wrong); /metrics is read over HTTP on 127.0.0.1.
 */
final class RegistrarProcess implements AutoCloseable {
    private final Process process;
    private final long spawnedNanos;
    private final long spawnedEpochMillis;
    private final int httpPort;
    private final List<Line> lines = new ArrayList<>();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    record Line(long nanos, String text) {
    }

    private RegistrarProcess(Process process, long spawnedNanos, long spawnedEpochMillis, int httpPort) {
        this.process = process;
        this.spawnedNanos = spawnedNanos;
        this.spawnedEpochMillis = spawnedEpochMillis;
        this.httpPort = httpPort;
        Thread.ofPlatform().daemon().name("registrar-stdout-" + process.pid()).start(this::readStdout);
    }

    /** Starts the command with only the given environment (nothing inherited but PATH), stderr to a file. */
    static RegistrarProcess start(JvmCommand command, Map<String, String> env, int httpPort, Path stderr) {
        ProcessBuilder pb = new ProcessBuilder(command.command()).directory(command.directory().toFile())
                .redirectError(stderr.toFile());
        Map<String, String> childEnv = pb.environment();
        childEnv.keySet().removeIf(k -> !k.equals("PATH"));
        childEnv.putAll(env);
        childEnv.put("PORT", Integer.toString(httpPort));
        try {
            long epochMillis = System.currentTimeMillis();
            long nanos = System.nanoTime();
            Process process = pb.start();
            return new RegistrarProcess(process, nanos, epochMillis, httpPort);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + command.command(), e);
        }
    }

    long pid() {
        return process.pid();
    }

    boolean alive() {
        return process.isAlive();
    }

    long spawnedNanos() {
        return spawnedNanos;
    }

    long spawnedEpochMillis() {
        return spawnedEpochMillis;
    }

    /** Milliseconds from spawn to the first stdout line that matches, waiting up to the timeout; -1 if none. */
    double millisToLine(Predicate<String> match, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            synchronized (lines) {
                for (Line line : lines) {
                    if (match.test(line.text())) {
                        return (line.nanos() - spawnedNanos) / 1e6;
                    }
                }
            }
            if (!process.isAlive()) {
                break;
            }
            Thread.sleep(5);
        }
        return -1;
    }

    MetricsText metrics() throws IOException, InterruptedException {
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + "/metrics"))
                .timeout(Duration.ofSeconds(5)).build();
        HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 200) {
            throw new IOException("/metrics answered " + response.statusCode());
        }
        return MetricsText.parse(response.body());
    }

    /** The /status document as text. */
    String status() throws IOException, InterruptedException {
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + "/status"))
                .timeout(Duration.ofSeconds(5)).build();
        HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 200) {
            throw new IOException("/status answered " + response.statusCode());
        }
        return response.body();
    }

    /** Scrapes /metrics until the process has completed at least {@code passes} passes. */
    MetricsText awaitPasses(long passes, Duration timeout, Duration every) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            if (!process.isAlive()) {
                throw new IllegalStateException("the registrar exited (code " + process.exitValue() + "); output:\n"
                        + output());
            }
            try {
                MetricsText m = metrics();
                if (m.passes() >= passes) {
                    return m;
                }
            } catch (IOException e) {
                // HTTP not listening yet
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("fewer than " + passes + " passes within " + timeout + "; output:\n"
                        + output());
            }
            Thread.sleep(every.toMillis());
        }
    }

    List<String> linesContaining(String text) {
        synchronized (lines) {
            return lines.stream().map(Line::text).filter(l -> l.contains(text)).toList();
        }
    }

    String output() {
        StringBuilder out = new StringBuilder();
        synchronized (lines) {
            int from = Math.max(0, lines.size() - 40);
            lines.subList(from, lines.size()).forEach(l -> out.append(l.text()).append('\n'));
        }
        return out.toString();
    }

    /** SIGTERM, as the platform stops it; SIGKILL if it has not exited after 5 s. */
    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
        http.close();
    }

    private void readStdout() {
        try (BufferedReader reader = new BufferedReader(new InputStreamReader(process.getInputStream(),
                StandardCharsets.UTF_8))) {
            String text;
            while ((text = reader.readLine()) != null) {
                long now = System.nanoTime();
                synchronized (lines) {
                    // Long runs log a line per change only; keep the memory bounded anyway.
                    if (lines.size() < 10_000) {
                        lines.add(new Line(now, text));
                    }
                }
            }
        } catch (IOException e) {
            // the process ended
        }
    }
}
