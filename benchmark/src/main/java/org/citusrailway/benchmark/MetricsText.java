package org.citusrailway.benchmark;

import java.io.IOException;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.citusrailway.testkit.registrar.RegistrarProcess;

/** One scrape of the registrar's /metrics (Prometheus text format): sample name with labels → value. */
record MetricsText(Map<String, Double> samples) {

    static MetricsText parse(String text) {
        Map<String, Double> samples = new HashMap<>();
        for (String line : text.split("\n")) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            int space = line.lastIndexOf(' ');
            samples.put(line.substring(0, space), Double.parseDouble(line.substring(space + 1)));
        }
        return new MetricsText(Map.copyOf(samples));
    }

    /** A scrape of the registrar's /metrics now. */
    static MetricsText of(RegistrarProcess registrar) throws IOException, InterruptedException {
        return parse(registrar.http("/metrics"));
    }

    /** Scrapes /metrics every {@code every} until the registrar has completed at least {@code passes} passes. */
    static MetricsText awaitPasses(RegistrarProcess registrar, long passes, Duration timeout, Duration every)
            throws IOException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            if (!registrar.alive()) {
                throw new IllegalStateException("the registrar exited (code " + registrar.exitValue() + "); output:\n"
                        + registrar.tail());
            }
            try {
                MetricsText m = of(registrar);
                if (m.passes() >= passes) {
                    return m;
                }
            } catch (IOException e) {
                // HTTP not listening yet
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("fewer than " + passes + " passes within " + timeout + "; output:\n"
                        + registrar.tail());
            }
            Thread.sleep(every.toMillis());
        }
    }

    double get(String name) {
        Double value = samples.get(name);
        if (value == null) {
            throw new IllegalStateException("/metrics has no sample " + name);
        }
        return value;
    }

    long passes() {
        return (long) get("citus_registrar_passes_total");
    }

    double lastPassSeconds() {
        return get("citus_registrar_last_pass_duration_seconds");
    }

    /** Passes that took at most {@code le} seconds, from the duration histogram (le must be a bucket bound). */
    long passesAtMost(String le) {
        return (long) get("citus_registrar_pass_duration_seconds_bucket{le=\"" + le + "\"}");
    }

    long passFailures() {
        return (long) get("citus_registrar_pass_failures_total");
    }

    int activeNodes() {
        return (int) get("citus_registrar_nodes{state=\"active\"}");
    }
}
