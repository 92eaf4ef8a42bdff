package org.citusrailway.benchmark;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A registrar start command: java, JVM flags, -jar, the jar, program arguments; plus the environment and working
 * directory it needs (relative paths in the image's flags resolve there).
 */
record JvmCommand(String label, List<String> command, Map<String, String> env, Path directory) {

    /** {@code java -jar registrar.jar}: the JVM's defaults, for comparison. */
    static JvmCommand plain(String java, String jar, Path directory) {
        return new JvmCommand("plain java -jar", List.of(java, "-jar", jar), Map.of(), directory);
    }

    /** The same command with more JVM flags, placed before -jar. */
    JvmCommand withFlags(String newLabel, List<String> flags) {
        List<String> full = new ArrayList<>(command);
        full.addAll(full.indexOf("-jar"), flags);
        return new JvmCommand(newLabel, List.copyOf(full), env, directory);
    }

    /** The JVM flags alone (between java and -jar). */
    List<String> flags() {
        return command.subList(1, command.indexOf("-jar"));
    }
}
