package org.citusrailway.benchmark;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.citusrailway.testkit.FreePorts;

/**
 * The long run: SCAN_INTERVAL=100ms for 3600 passes (one hour at 1s; five hours at the default 5s). In three
 * stretches: warm-up (start-up, registering the workers, JIT), a sampling stretch where /metrics is read about once
 * per pass to get each pass's duration, then a quiet stretch (a scrape every 2 s) over which CPU per pass is counted,
 * so the sampling's own HTTP load is not charged to the passes. RSS is read at the end, after the quiet stretch.
 */
final class FootprintRun {
    private static final Duration INTERVAL = Duration.ofMillis(100);

    record Result(String label, long passes, long rssKb, long peakRssKb, List<long[]> rssCheckpoints,
            Percentiles passMillis, long passesWithin50ms, double cpuMillisPerPass, long failures, int activeNodes) {
    }

    private final Cluster cluster;
    private final Path logDir;
    private final Consumer<String> progress;

    FootprintRun(Cluster cluster, Path logDir, Consumer<String> progress) {
        this.cluster = cluster;
        this.logDir = logDir;
        this.progress = progress;
    }

    Result run(JvmCommand command, long passes) throws IOException, InterruptedException {
        long warmup = Math.min(300, passes / 12);
        long sampled = Math.min(600, passes / 6);
        Map<String, String> env = new HashMap<>(cluster.registrarEnv());
        env.put("SCAN_INTERVAL", INTERVAL.toMillis() + "ms");
        String name = command.label().replaceAll("[^A-Za-z0-9]+", "-");
        Duration generous = INTERVAL.multipliedBy(passes * 3).plusMinutes(1);
        try (RegistrarProcess registrar = RegistrarProcess.start(command, env, FreePorts.next(),
                logDir.resolve("footprint-" + name + ".stderr"))) {
            List<long[]> checkpoints = new ArrayList<>();
            registrar.awaitPasses(warmup, generous, Duration.ofSeconds(1));
            checkpoints.add(new long[] {warmup, ProcFs.rssKb(registrar.pid())});
            progress.accept(command.label() + ": warm after " + warmup + " passes; sampling pass durations");

            List<Double> durations = samplePassDurations(registrar, warmup + sampled, generous);

            MetricsText start = registrar.metrics();
            long ticksAtStart = ProcFs.cpuTicks(registrar.pid());
            MetricsText now = start;
            for (int quarter = 1; quarter <= 4; quarter++) {
                long target = passes * quarter / 4;
                if (target <= now.passes()) {
                    continue;
                }
                now = registrar.awaitPasses(target, generous, Duration.ofSeconds(2));
                if (quarter < 4) {
                    long rss = ProcFs.rssKb(registrar.pid());
                    checkpoints.add(new long[] {now.passes(), rss});
                    progress.accept(command.label() + ": " + now.passes() + "/" + passes + " passes, RSS "
                            + rss / 1024 + " MB");
                }
            }
            long ticks = ProcFs.cpuTicks(registrar.pid()) - ticksAtStart;
            long rss = ProcFs.rssKb(registrar.pid());
            long peak = ProcFs.peakRssKb(registrar.pid());
            checkpoints.add(new long[] {now.passes(), rss});
            double cpuPerPass = ProcFs.ticksToMillis(ticks) / Math.max(1, now.passes() - start.passes());
            return new Result(command.label(), now.passes(), rss, peak, checkpoints, Percentiles.of(durations),
                    now.passesAtMost("0.05"), cpuPerPass, now.passFailures(), now.activeNodes());
        }
    }

    /**
     * Reads /metrics once per interval; when exactly one pass completed since the previous read, the last-pass gauge is
     * that pass's duration. Reads that saw zero or two passes are skipped, which does not favour short or long passes.
     */
    private static List<Double> samplePassDurations(RegistrarProcess registrar, long until, Duration timeout)
            throws IOException, InterruptedException {
        List<Double> durations = new ArrayList<>();
        long deadline = System.nanoTime() + timeout.toNanos();
        MetricsText previous = registrar.metrics();
        while (previous.passes() < until && System.nanoTime() < deadline) {
            Thread.sleep(INTERVAL.toMillis());
            MetricsText current = registrar.metrics();
            if (current.passes() - previous.passes() == 1) {
                durations.add(current.lastPassSeconds() * 1000);
            }
            previous = current;
        }
        return durations;
    }
}
