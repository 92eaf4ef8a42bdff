package org.citusrailway.benchmark;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** One line describing where the figures were measured. */
final class Machine {
    private Machine() {
    }

    static String describe() {
        String cpu = firstValue(Path.of("/proc/cpuinfo"), "model name");
        String memory = firstValue(Path.of("/proc/meminfo"), "MemTotal");
        long memoryMb = memory.isEmpty() ? 0 : Long.parseLong(memory.split("\\s+")[0]) / 1024;
        return cpu + ", " + Runtime.getRuntime().availableProcessors() + " CPUs, " + memoryMb + " MB RAM, Linux "
                + System.getProperty("os.version") + "; JDK: " + System.getProperty("java.vm.name") + " "
                + System.getProperty("java.runtime.version") + " (" + System.getProperty("java.home") + ")";
    }

    private static String firstValue(Path file, String key) {
        try {
            for (String line : Files.readAllLines(file)) {
                if (line.startsWith(key)) {
                    return line.substring(line.indexOf(':') + 1).trim();
                }
            }
        } catch (IOException ignored) {
            // described as unknown
        }
        return "";
    }
}
