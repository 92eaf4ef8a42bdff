package org.citusrailway.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** Memory and CPU of a live process as the kernel counts them in /proc (Linux). */
public final class ProcStat {
    private static volatile long clockTicks;

    private ProcStat() {
    }

    /** Resident set size now, in kB (VmRSS). */
    public static long rssKb(long pid) {
        return statusKb(pid, "VmRSS:");
    }

    /** The largest resident set size so far, in kB (VmHWM). */
    public static long peakRssKb(long pid) {
        return statusKb(pid, "VmHWM:");
    }

    /** User plus system CPU time of every thread of the process, in clock ticks. */
    public static long cpuTicks(long pid) {
        String stat = read(Path.of("/proc", Long.toString(pid), "stat"));
        // Field 2, the command, is in parentheses and may hold spaces or parentheses itself: count after the last ')'.
        String[] fields = stat.substring(stat.lastIndexOf(')') + 1).trim().split("\\s+");
        // fields[0] is field 3 (state); utime and stime are fields 14 and 15.
        return Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
    }

    /** Clock ticks per second (getconf CLK_TCK), the unit of {@link #cpuTicks}. */
    public static long clockTicksPerSecond() {
        long ticks = clockTicks;
        if (ticks == 0) {
            try {
                Process p = new ProcessBuilder("getconf", "CLK_TCK").redirectErrorStream(true).start();
                String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).trim();
                p.waitFor();
                ticks = Long.parseLong(out);
            } catch (IOException | NumberFormatException e) {
                throw new IllegalStateException("getconf CLK_TCK failed", e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
            clockTicks = ticks;
        }
        return ticks;
    }

    public static double ticksToMillis(long ticks) {
        return ticks * 1000.0 / clockTicksPerSecond();
    }

    private static long statusKb(long pid, String field) {
        for (String line : read(Path.of("/proc", Long.toString(pid), "status")).split("\n")) {
            if (line.startsWith(field)) {
                return Long.parseLong(line.substring(field.length()).trim().split("\\s+")[0]);
            }
        }
        throw new IllegalStateException(field + " missing in /proc/" + pid + "/status");
    }

    private static String read(Path path) {
        try {
            return Files.readString(path, StandardCharsets.US_ASCII);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + path + " (has the process exited?)", e);
        }
    }
}
