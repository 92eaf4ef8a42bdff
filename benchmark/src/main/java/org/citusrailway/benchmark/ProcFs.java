package org.citusrailway.benchmark;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** Memory and CPU figures of a live process, as the kernel counts them. */
final class ProcFs {
    private static final long CLOCK_TICKS = clockTicks();

    private ProcFs() {
    }

    /** Resident set size now, in kB (VmRSS). */
    static long rssKb(long pid) {
        return statusField(pid, "VmRSS:");
    }

    /** Peak resident set size, in kB (VmHWM). */
    static long peakRssKb(long pid) {
        return statusField(pid, "VmHWM:");
    }

    /** User + system CPU time of all the process's threads, in clock ticks. */
    static long cpuTicks(long pid) {
        String stat = read(Path.of("/proc", Long.toString(pid), "stat"));
        // The command name (field 2) may contain spaces and parentheses: count fields after the last ')'.
        String[] fields = stat.substring(stat.lastIndexOf(')') + 2).trim().split("\\s+");
        // fields[0] is field 3 (state); utime is field 14, stime field 15.
        return Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
    }

    static double ticksToMillis(long ticks) {
        return ticks * 1000.0 / CLOCK_TICKS;
    }

    static long clockTicksPerSecond() {
        return CLOCK_TICKS;
    }

    private static long statusField(long pid, String name) {
        for (String line : read(Path.of("/proc", Long.toString(pid), "status")).split("\n")) {
            if (line.startsWith(name)) {
                return Long.parseLong(line.substring(name.length()).trim().split("\\s+")[0]);
            }
        }
        throw new IllegalStateException(name + " missing in /proc/" + pid + "/status");
    }

    private static String read(Path path) {
        try {
            return Files.readString(path, StandardCharsets.US_ASCII);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + path + " (has the process exited?)", e);
        }
    }

    /** getconf CLK_TCK: the unit of utime/stime in /proc/<pid>/stat. */
    private static long clockTicks() {
        try {
            Process p = new ProcessBuilder("getconf", "CLK_TCK").redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).trim();
            p.waitFor();
            return Long.parseLong(out);
        } catch (IOException | NumberFormatException e) {
            throw new IllegalStateException("getconf CLK_TCK failed", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
