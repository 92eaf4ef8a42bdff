package org.citusrailway.benchmark;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;
import org.citusrailway.testkit.registrar.RegistrarProcess;

/** A registrar start command (java, JVM options, -jar, the jar, working directory) under a label for the report. */
record JvmCommand(String label, Supplier<RegistrarProcess.Builder> launch) {

    /** {@code java -jar registrar.jar}: the JVM's defaults, for comparison. */
    static JvmCommand plain(Path java, Path jar, Path directory) {
        return new JvmCommand("plain java -jar", () -> RegistrarProcess.fromJar(jar).java(java).directory(directory));
    }

    /** The same command, changed (more JVM options, a wrapper), under a new label. */
    JvmCommand with(String newLabel, UnaryOperator<RegistrarProcess.Builder> change) {
        return new JvmCommand(newLabel, () -> change.apply(launch.get()));
    }

    List<String> command() {
        return launch.get().command();
    }

    /** Starts it with only the given environment (nothing inherited but PATH) and PORT set to {@code httpPort}. */
    RegistrarProcess start(Map<String, String> env, int httpPort) {
        return launch.get().onlyPath().env(env).httpPort(httpPort).start();
    }
}
