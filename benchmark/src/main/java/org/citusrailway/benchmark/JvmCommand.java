package org.citusrailway.benchmark;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** A registrar start command (java, JVM options, -jar, the jar) and the working directory it runs in. */
record JvmCommand(String label, List<String> command, Path directory) {

    /** {@code java -jar registrar.jar}: the JVM's defaults, for comparison. */
    static JvmCommand plain(String java, String jar, Path directory) {
        return new JvmCommand("plain java -jar", List.of(java, "-jar", jar), directory);
    }

    /** The same command with more JVM options, placed before -jar. */
    JvmCommand withFlags(String newLabel, List<String> flags) {
        List<String> full = new ArrayList<>(command);
        full.addAll(full.indexOf("-jar"), flags);
        return new JvmCommand(newLabel, List.copyOf(full), directory);
    }
}
