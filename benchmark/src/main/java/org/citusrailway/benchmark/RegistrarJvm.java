package org.citusrailway.benchmark;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.citusrailway.testkit.FreePorts;
import org.citusrailway.testkit.PostgresBinaries;

/**
 * The registrar started as the image starts it: {@code java @registrar/jvm.options -XX:AOTCache=… -jar registrar.jar}.
 * The AOT cache is made here as the Dockerfile's training stage makes it, by registrar/aot-training.sh with the same
 * options file, against PostgreSQL with Citus from the local binaries.
 */
final class RegistrarJvm {
    static final Path OPTIONS = Path.of("registrar/jvm.options");
    private static final Path TRAINING = Path.of("registrar/aot-training.sh");

    private RegistrarJvm() {
    }

    /** The options file as a launcher argument ({@code @/abs/path/jvm.options}). */
    static String optionsArgument() {
        if (!Files.isRegularFile(OPTIONS)) {
            throw new IllegalStateException(OPTIONS + " is missing: run from the repository root");
        }
        return "@" + OPTIONS.toAbsolutePath();
    }

    /**
     * The image's command with local paths: the jar copied into {@code dir}, the AOT cache trained there when Citus is
     * installed (else none, and {@code notes} says so).
     */
    static JvmCommand image(Path java, Path registrarJar, Path dir, Optional<PostgresBinaries> citus,
            List<String> notes) throws IOException, InterruptedException {
        String options = optionsArgument();
        Path jar = Files.copy(registrarJar, dir.resolve("registrar.jar"), StandardCopyOption.REPLACE_EXISTING);
        if (citus.isEmpty()) {
            notes.add("no AOT cache: " + TRAINING + " needs PostgreSQL with Citus; the image options run without one");
            return withOptionsFile(JvmCommand.plain(java, jar, dir));
        }
        Path cache = dir.resolve("registrar.aot");
        List<String> training = List.of(TRAINING.toAbsolutePath().toString(), java.toString(), options,
                "-XX:AOTCacheOutput=" + cache, "-jar", jar.toString());
        ProcessBuilder pb = new ProcessBuilder(training).directory(dir.toFile()).redirectErrorStream(true);
        pb.environment().put("PG_BIN", citus.get().binDir().toString());
        pb.environment().put("TRAINING_PORT", Integer.toString(FreePorts.pair()));
        Process process = pb.start();
        byte[] output = process.getInputStream().readAllBytes();
        if (!process.waitFor(300, TimeUnit.SECONDS) || process.exitValue() != 0 || !Files.isRegularFile(cache)) {
            process.destroyForcibly();
            throw new IOException("AOT training failed: " + String.join(" ", training) + "\n"
                    + new String(output, StandardCharsets.UTF_8));
        }
        notes.add("AOT cache trained as the Dockerfile does, with PG_BIN=" + citus.get().binDir() + ": "
                + String.join(" ", training));
        return withOptionsFile(JvmCommand.plain(java, jar, dir))
                .with("image options", b -> b.jvmOptions(List.of("-XX:AOTCache=" + cache)));
    }

    /** {@code java @registrar/jvm.options … -jar}: the command with the image's options file first. */
    static JvmCommand withOptionsFile(JvmCommand command) {
        optionsArgument(); // says so now if the file is missing, not at the first start
        return command.with("image options", b -> b.argFile(OPTIONS));
    }
}
