package org.citusrailway.benchmark;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.citusrailway.testkit.LocalPostgres;
import org.citusrailway.testkit.PostgresBinaries;
import org.citusrailway.testkit.cluster.LocalCitusCluster;

/**
 * Measures the registrar's speed and footprint with real processes (the registrar jar, PostgreSQL with Citus) and
 * prints each figure next to its target. Run from the repository root; see docs/benchmark.md.
 */
public final class Benchmark {
    private static final long RSS_TARGET_KB = 48 * 1024;
    private static final double STARTUP_TARGET_MS = 250;
    private static final double PASS_TARGET_MS = 50;
    private static final double IDLE_CPU_TARGET_PERCENT = 0.2;
    private static final double READY_TARGET_MS = 2000;

    private static final Path REGISTRAR_JAR = Path.of("registrar/target/registrar.jar");

    private final Options options;
    private final Path work;
    private final Cleanup cleanup;
    private final long began = System.nanoTime();
    private final Report report = new Report();

    private Benchmark(Options options, Path work, Cleanup cleanup) {
        this.options = options;
        this.work = work;
        this.cleanup = cleanup;
    }

    public static void main(String[] args) throws Exception {
        Options options;
        try {
            options = Options.parse(args);
        } catch (IllegalArgumentException e) {
            if (!e.getMessage().isEmpty()) {
                System.err.println(e.getMessage());
            }
            System.err.print(Options.USAGE);
            System.exit(2);
            return;
        }
        Path work = Files.createTempDirectory("registrar-benchmark-");
        try (Cleanup cleanup = new Cleanup(work)) {
            new Benchmark(options, work, cleanup).run();
        }
    }

    private void run() throws Exception {
        if (!Files.isRegularFile(REGISTRAR_JAR)) {
            throw new IllegalStateException(REGISTRAR_JAR + " is missing: build it first (see docs/benchmark.md)"
                    + " and run from the repository root");
        }
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        String coordinatorName = LocalNames.machineName();
        Path hostsFile = LocalNames.hostsFile(work.resolve("registrar-hosts"), coordinatorName);
        List<String> notes = new ArrayList<>();
        Optional<PostgresBinaries> citus = PostgresBinaries.withCitus();
        if (citus.isPresent()) {
            progress("training the AOT cache with " + RegistrarJvm.OPTIONS + " (registrar/aot-training.sh)");
        }
        JvmCommand image = RegistrarJvm.image(java, REGISTRAR_JAR, work, citus, notes)
                .with("image options", b -> b.systemProperty(LocalNames.HOSTS_FILE_PROPERTY, hostsFile.toString()));
        // The same java without the options file and cache: what they buy.
        JvmCommand plain = JvmCommand.plain(java, REGISTRAR_JAR, work)
                .with("plain java -jar", b -> b.systemProperty(LocalNames.HOSTS_FILE_PROPERTY, hostsFile.toString()));

        PostgresBinaries binaries = citus.orElseGet(PostgresBinaries::embedded);
        int clusterCount = citus.isEmpty() ? 1 : 3;
        progress("starting " + clusterCount + (citus.isPresent() ? " Citus clusters (coordinator + 2 workers each)"
                : " PostgreSQL server (no Citus installed)") + " from " + binaries.label());
        List<LocalCitusCluster> clusters = List.of();
        LocalPostgres coordinator;
        Map<String, String> env;
        if (citus.isPresent()) {
            clusters = startClusters(binaries, coordinatorName, clusterCount);
            coordinator = clusters.get(0).coordinator();
            env = Clusters.registrarEnv(clusters.get(0));
        } else {
            coordinator = cleanup.register(LocalPostgres.builder(binaries).password(Clusters.PASSWORD).start());
            env = Clusters.registrarEnv(coordinator, coordinatorName);
        }

        header(image, plain, notes, hostsFile, coordinator, citus.isPresent());
        startup(coordinator, env, image, plain);
        if (citus.isPresent()) {
            longRuns(clusters, image, plain);
        } else {
            String why = PostgresBinaries.citusMissingReason() + "; without Citus the registrar makes no passes";
            report.skipped("Steady RSS after " + options.passes() + " passes", "<= 48 MB", why);
            report.skipped("Discovery pass over 82 names", "<= 50 ms p95", why);
            report.skipped("Idle CPU at default settings", "<= 0.2 %", why);
            report.skipped("Worker ready -> active", "<= 2 s p95", why);
        }
        progress("done");
        System.out.println();
        report.print(System.out);
    }

    private List<LocalCitusCluster> startClusters(PostgresBinaries binaries, String coordinatorName, int count)
            throws Exception {
        List<Callable<LocalCitusCluster>> starts = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            starts.add(() -> cleanup.register(Clusters.start(binaries, coordinatorName)));
        }
        return all(starts, 3);
    }

    private void header(JvmCommand image, JvmCommand plain, List<String> notes, Path hostsFile,
            LocalPostgres coordinator, boolean citus) {
        report.detail("Machine:   " + Machine.describe());
        report.detail("Cluster:   " + Clusters.versions(coordinator) + (citus
                ? "; coordinator + 2 workers on 127.0.0.1 per run" : "; a single server, Citus not installed"));
        report.detail("Registrar: " + REGISTRAR_JAR + "; 80 default candidate names (4 patterns x WORKER_INDEX_MAX"
                + " 20 in railway.internal, none resolve) + the 2 real workers in WORKER_HOSTS = 82 names per pass");
        notes.forEach(n -> report.detail("Note:      " + n));
        report.detail("Every run also gets -D" + LocalNames.HOSTS_FILE_PROPERTY + "=" + hostsFile + " (names resolve"
                + " from that file: no DNS traffic; only localhost and this machine's name resolve)");
        report.detail("Commands:  " + String.join(" ", image.command()));
        report.detail("           " + String.join(" ", plain.command()));
        report.detail("");
    }

    private void startup(LocalPostgres coordinator, Map<String, String> env, JvmCommand image, JvmCommand plain)
            throws Exception {
        StartupTimer timer = new StartupTimer(coordinator, env);
        int others = Math.max(3, options.startupRuns() / 2);
        progress("start-up: " + options.startupRuns() + " starts with the image options, " + others + " plain");
        startupFigures(image, timer.measure(image, options.startupRuns()), true);
        startupFigures(plain, timer.measure(plain, others), false);
    }

    private void startupFigures(JvmCommand command, List<StartupTimer.Start> starts, boolean judged) {
        Percentiles statement = Percentiles.of(starts.stream().map(StartupTimer.Start::firstStatement).toList());
        Percentiles authorized = Percentiles.of(starts.stream().map(StartupTimer.Start::authorized).toList());
        Percentiles started = Percentiles.of(starts.stream().map(StartupTimer.Start::startedLine).toList());
        String figure = "JVM spawn -> first coordinator statement (" + command.label() + ")";
        String measured = "median " + Report.ms(statement.median()) + ", max " + Report.ms(statement.max()) + " ("
                + starts.size() + " starts)";
        if (judged) {
            report.target(figure, measured, "<= 250 ms", statement.median() <= STARTUP_TARGET_MS);
        } else {
            report.info(figure, measured);
        }
        report.detail("Start-up, " + command.label() + " (medians of " + starts.size() + "): stdout registrar-started "
                + Report.ms(started.median()) + ", coordinator connection authorized " + Report.ms(authorized.median())
                + ", first statement " + Report.ms(statement.median()) + " (min " + Report.ms(statement.min()) + ")");
    }

    /**
     * Idle CPU is measured alone (an idle process next to busy ones would be charged for their contention): the
     * default-settings run measures it first, then the hour-equivalent footprint runs start, each on its own cluster,
     * beside its ready -> active rounds; once they are done it measures idle CPU again, in the steady state.
     */
    private void longRuns(List<LocalCitusCluster> clusters, JvmCommand image, JvmCommand plain) throws Exception {
        CountDownLatch firstIdleMeasured = new CountDownLatch(1);
        CountDownLatch footprintsDone = new CountDownLatch(2);
        progress("default settings: idle CPU first, alone; then footprint runs: " + options.passes()
                + " passes at SCAN_INTERVAL=100ms (about " + Math.round(options.passes() / 10.0 / 60)
                + " min) beside ready -> active at defaults; then idle CPU again");
        List<Callable<Object>> jobs = new ArrayList<>();
        jobs.add(() -> footprint(clusters.get(0), image, firstIdleMeasured, footprintsDone));
        jobs.add(() -> footprint(clusters.get(1), plain, firstIdleMeasured, footprintsDone));
        jobs.add(() -> new ReadinessRun(clusters.get(2), this::progress).run(image, options.idleSeconds(),
                options.latencyRounds(), firstIdleMeasured::countDown, footprintsDone));
        List<Object> results = all(jobs, jobs.size());
        FootprintRun.Result imageRun = (FootprintRun.Result) results.get(0);
        FootprintRun.Result plainRun = (FootprintRun.Result) results.get(1);
        ReadinessRun.Result readiness = (ReadinessRun.Result) results.get(2);

        report.target("Steady RSS after " + imageRun.passes() + " passes (image options)", Report.mb(imageRun.rssKb())
                + ", peak VmHWM " + Report.mb(imageRun.peakRssKb()), "<= 48 MB", imageRun.rssKb() <= RSS_TARGET_KB);
        report.info("Steady RSS after " + plainRun.passes() + " passes (plain java -jar)", Report.mb(plainRun.rssKb())
                + ", peak VmHWM " + Report.mb(plainRun.peakRssKb()));
        Percentiles pass = imageRun.passMillis();
        report.target("Discovery pass over 82 names (image options)", "median " + Report.ms(pass.median()) + ", p95 "
                + Report.ms(pass.at(95)) + ", max " + Report.ms(pass.max()) + " (" + pass.count() + " passes)",
                "<= 50 ms p95", pass.at(95) <= PASS_TARGET_MS);
        report.info("CPU per pass at SCAN_INTERVAL=100ms (image options)", Report.ms(imageRun.cpuMillisPerPass()));
        ReadinessRun.IdleWindow steady = readiness.steadyIdle();
        report.target("Idle CPU, default SCAN_INTERVAL=5s, steady (image options)", Report.percent(steady.cpuPercent())
                + " of a core (" + Math.round(steady.seconds()) + " s, " + steady.passes() + " passes, from minute "
                + Math.round(steady.startedAfterSeconds() / 60) + ")", "<= 0.2 %",
                steady.cpuPercent() <= IDLE_CPU_TARGET_PERCENT);
        ReadinessRun.IdleWindow first = readiness.firstIdle();
        report.info("Idle CPU, same, right after start-up", Report.percent(first.cpuPercent()) + " of a core ("
                + Math.round(first.seconds()) + " s, " + first.passes() + " passes, from second "
                + Math.round(first.startedAfterSeconds()) + ")");
        Percentiles ready = readiness.readyToActiveMillis();
        report.target("Worker ready -> active, default settings", "p50 " + Report.ms(ready.median()) + ", p95 "
                + Report.ms(ready.at(95)) + ", max " + Report.ms(ready.max()) + " (" + ready.count() + " rounds)",
                "<= 2 s p95", ready.count() == 0 ? null : ready.at(95) <= READY_TARGET_MS);
        Percentiles noticed = readiness.admittedToPendingMillis();
        report.info("Re-admitted name -> watched as pending (next full pass)", "p50 " + Report.ms(noticed.median())
                + ", max " + Report.ms(noticed.max()) + " (" + noticed.count() + " rounds)");
        Percentiles add = readiness.directAddMillis();
        report.info("citus_add_node alone, called directly (Citus's share)", "median " + Report.ms(add.median())
                + ", max " + Report.ms(add.max()) + " (" + add.count() + " calls)");

        for (FootprintRun.Result run : results.stream().filter(FootprintRun.Result.class::isInstance)
                .map(FootprintRun.Result.class::cast).toList()) {
            StringBuilder trend = new StringBuilder();
            run.rssCheckpoints().forEach(c -> trend.append(trend.isEmpty() ? "" : ", ").append(c[0]).append(" passes ")
                    .append(Report.mb(c[1])));
            report.detail("Footprint, " + run.label() + ": RSS " + trend + "; passes <= 50 ms " + run.passesWithin50ms()
                    + "/" + run.passes() + " (histogram); pass median " + Report.ms(run.passMillis().median())
                    + ", p95 " + Report.ms(run.passMillis().at(95)) + "; CPU/pass " + Report.ms(run.cpuMillisPerPass())
                    + "; failed passes " + run.failures() + "; active workers " + run.activeNodes());
        }
        readiness.problems().forEach(p -> report.detail("Ready -> active problem: " + p));
    }

    private FootprintRun.Result footprint(LocalCitusCluster cluster, JvmCommand command, CountDownLatch start,
            CountDownLatch done) throws Exception {
        try {
            start.await();
            return new FootprintRun(cluster, this::progress).run(command, options.passes());
        } finally {
            done.countDown();
        }
    }

    /** Runs the jobs in parallel and returns their results in order; the first failure is rethrown. */
    private static <T> List<T> all(List<Callable<T>> jobs, int threads) throws Exception {
        try (ExecutorService pool = Executors.newFixedThreadPool(threads)) {
            List<Future<T>> futures = new ArrayList<>();
            jobs.forEach(job -> futures.add(pool.submit(job)));
            List<T> results = new ArrayList<>();
            for (Future<T> future : futures) {
                try {
                    results.add(future.get());
                } catch (ExecutionException e) {
                    pool.shutdownNow();
                    throw e.getCause() instanceof Exception cause ? cause : e;
                }
            }
            return results;
        }
    }

    private void progress(String message) {
        double seconds = (System.nanoTime() - began) / 1e9;
        synchronized (System.out) {
            System.out.printf(Locale.ROOT, "[%5.1fs] %s%n", seconds, message);
        }
    }
}
