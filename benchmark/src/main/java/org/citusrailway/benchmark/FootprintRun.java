package org.citusrailway.benchmark;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.citusrailway.testkit.FreePorts;
import org.citusrailway.testkit.ProcStat;
import org.citusrailway.testkit.cluster.LocalCitusCluster;
import org.citusrailway.testkit.registrar.RegistrarProcess;

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

    private final LocalCitusCluster cluster;
    private final Consumer<String> progress;

    FootprintRun(LocalCitusCluster cluster, Consumer<String> progress) {
        this.cluster = cluster;
        this.progress = progress;
    }

    Result run(JvmCommand command, long passes) throws IOException, InterruptedException {
        long warmup = Math.min(300, passes / 12);
        long sampled = Math.min(600, passes / 6);
        Map<String, String> env = Clusters.registrarEnv(cluster);
        env.put("SCAN_INTERVAL", INTERVAL.toMillis() + "ms");
        Duration generous = INTERVAL.multipliedBy(passes * 3).plusMinutes(1);
        try (RegistrarProcess registrar = command.start(env, FreePorts.next())) {
            List<long[]> checkpoints = new ArrayList<>();
            MetricsText.awaitPasses(registrar, warmup, generous, Duration.ofSeconds(1));
            checkpoints.add(new long[] {warmup, registrar.rssKb()});
            progress.accept(command.label() + ": warm after " + warmup + " passes; sampling pass durations");

            List<Double> durations = samplePassDurations(registrar, warmup + sampled, generous);

            MetricsText start = MetricsText.of(registrar);
            long ticksAtStart = registrar.cpuTicks();
            MetricsText now = start;
            for (int quarter = 1; quarter <= 4; quarter++) {
                long target = passes * quarter / 4;
                if (target <= now.passes()) {
                    continue;
                }
                now = MetricsText.awaitPasses(registrar, target, generous, Duration.ofSeconds(2));
                if (quarter < 4) {
                    long rss = registrar.rssKb();
                    checkpoints.add(new long[] {now.passes(), rss});
                    progress.accept(command.label() + ": " + now.passes() + "/" + passes + " passes, RSS "
                            + rss / 1024 + " MB");
                }
            }
            long ticks = registrar.cpuTicks() - ticksAtStart;
            long rss = registrar.rssKb();
            long peak = registrar.peakRssKb();
            checkpoints.add(new long[] {now.passes(), rss});
            double cpuPerPass = ProcStat.ticksToMillis(ticks) / Math.max(1, now.passes() - start.passes());
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
        MetricsText previous = MetricsText.of(registrar);
        while (previous.passes() < until && System.nanoTime() < deadline) {
            Thread.sleep(INTERVAL.toMillis());
            MetricsText current = MetricsText.of(registrar);
            if (current.passes() - previous.passes() == 1) {
                durations.add(current.lastPassSeconds() * 1000);
            }
            previous = current;
        }
        return durations;
    }
}
