package org.citusrailway.benchmark;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.stream.Stream;
import org.citusrailway.testkit.ProcStat;

/**
 * CPU time over a stretch of a run, as the kernel counts it: the whole machine's (/proc/stat), this JVM's process
 * tree's (itself and every live descendant, each with the time of the children it has reaped, so finished node
 * processes count too), and one named process of the tree's. Tells whether a phase was short of CPU, and how much
 * of the machine other programs used meanwhile.
 */
final class CpuAccount {
    /** Clock ticks at one moment; {@code marked} is the tree's processes whose command line holds the mark. */
    record Sample(long nanos, long machineBusy, long machineIowait, long tree, long marked) {
    }

    /** What happened between two samples, in CPU seconds and in CPUs kept busy on average. */
    record Span(double seconds, double treeCpuSeconds, double markedCpuSeconds, double othersCpuSeconds,
            double iowaitSeconds) {
        String describe(String markName) {
            int cpus = Runtime.getRuntime().availableProcessors();
            return String.format(Locale.ROOT, "%.1f CPU-s in %.1f s = %.2f of %d CPUs busy (%s %.1f CPU-s);"
                    + " CPUs idle waiting for disk %.1f s", treeCpuSeconds, seconds, treeCpuSeconds / seconds, cpus,
                    markName, markedCpuSeconds, iowaitSeconds);
        }

        String describeOthers() {
            return String.format(Locale.ROOT, "%.2f CPUs on average over %.0f s", othersCpuSeconds / seconds, seconds);
        }
    }

    private CpuAccount() {
    }

    static Sample sample(String mark) {
        long tree = ticks(ProcessHandle.current());
        long marked = 0;
        for (ProcessHandle process : ProcessHandle.current().descendants().toList()) {
            long t = ticks(process);
            tree += t;
            if (process.info().commandLine().map(c -> c.contains(mark)).orElse(false)) {
                marked += t;
            }
        }
        long[] machine = machineTicks();
        return new Sample(System.nanoTime(), machine[0], machine[1], tree, marked);
    }

    static Span between(Sample from, Sample to) {
        double hz = ProcStat.clockTicksPerSecond();
        double tree = (to.tree() - from.tree()) / hz;
        double machine = (to.machineBusy() - from.machineBusy()) / hz;
        return new Span((to.nanos() - from.nanos()) / 1e9, tree, (to.marked() - from.marked()) / hz,
                Math.max(0, machine - tree), (to.machineIowait() - from.machineIowait()) / hz);
    }

    /** utime + stime + cutime + cstime; 0 for a process gone in the meantime. */
    private static long ticks(ProcessHandle process) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(process.pid()), "stat"),
                    StandardCharsets.US_ASCII);
            // The command name (field 2) may hold spaces and parentheses: count fields after the last ')'.
            String[] fields = stat.substring(stat.lastIndexOf(')') + 2).trim().split("\\s+");
            return Long.parseLong(fields[11]) + Long.parseLong(fields[12]) + Long.parseLong(fields[13])
                    + Long.parseLong(fields[14]);
        } catch (IOException | RuntimeException e) {
            return 0;
        }
    }

    /** All CPUs' busy ticks (user, nice, system, irq, softirq, steal) and iowait ticks. */
    private static long[] machineTicks() {
        try (Stream<String> lines = Files.lines(Path.of("/proc/stat"))) {
            String[] f = lines.filter(l -> l.startsWith("cpu ")).findFirst().orElseThrow().trim().split("\\s+");
            return new long[] {Long.parseLong(f[1]) + Long.parseLong(f[2]) + Long.parseLong(f[3])
                    + Long.parseLong(f[6]) + Long.parseLong(f[7]) + Long.parseLong(f[8]), Long.parseLong(f[5])};
        } catch (IOException e) {
            throw new IllegalStateException("cannot read /proc/stat", e);
        }
    }
}
