package org.citusrailway.template;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.citusrailway.testkit.FreePorts;
import org.citusrailway.testkit.PostgresBinaries;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * registrar/aot-training.sh, the Dockerfile's training step, run for real: it starts a Citus coordinator and worker
 * from local binaries, the real registrar jar registers the worker under -XX:AOTCacheOutput with the image's JVM
 * options file (registrar/jvm.options), and the cache it leaves is one the JVM accepts with the same file and
 * -XX:AOTMode=on (which refuses a cache that does not fit).
 */
class AotTrainingScriptTest {
    private static final Path SCRIPT = ProjectFiles.resolve("registrar/aot-training.sh");
    private static final Path JAR = ProjectFiles.resolve("registrar/target/registrar.jar");
    private static final String JVM_OPTIONS = "@" + ProjectFiles.resolve("registrar/jvm.options");

    @Test
    void trainsAgainstARealCitusClusterAndLeavesACacheTheJvmAccepts(@TempDir Path dir) throws Exception {
        PostgresBinaries citus = PostgresBinaries.withCitus().orElse(null);
        Assumptions.assumeTrue(citus != null, PostgresBinaries.citusMissingReason());
        Assumptions.assumeTrue(Runtime.version().feature() >= 25,
                "-XX:AOTCacheOutput needs JDK 25; these tests run on " + Runtime.version());
        Assumptions.assumeTrue(Files.isRegularFile(JAR), JAR + " is not built yet (./mvnw verify packages it first)");
        Path jar = Files.copy(JAR, dir.resolve("registrar.jar"));
        Path cache = dir.resolve("registrar.aot");

        // As the Dockerfile does: the image's JVM options file, plus the cache option of each step.
        Result training = run(List.of(SCRIPT.toString(), java(), JVM_OPTIONS, "-XX:AOTCacheOutput=" + cache, "-jar",
                jar.toString()),
                Map.of("PG_BIN", citus.binDir().toString(), "TRAINING_PORT", Integer.toString(FreePorts.pair())));
        assertEquals(0, training.exit(), training.output());
        assertTrue(training.output().contains("\"event\":\"worker-added\""), training.output());
        assertTrue(Files.size(cache) > 1_000_000, "cache size " + Files.size(cache));

        Result check = run(List.of(java(), JVM_OPTIONS, "-XX:AOTCache=" + cache, "-XX:AOTMode=on", "-jar",
                jar.toString(), "--version"), Map.of());
        assertEquals(0, check.exit(), check.output());
        assertTrue(check.output().startsWith("citus-registrar "), check.output());
    }

    @Test
    void refusesWithOneLineWhenThereIsNoPostgresql() throws Exception {
        Result result = run(List.of(SCRIPT.toString(), java(), "-jar", "registrar.jar"),
                Map.of("PG_BIN", "/nonexistent/bin"));
        assertEquals(2, result.exit(), result.output());
        assertEquals("aot-training: no PostgreSQL server in '/nonexistent/bin' (set PG_BIN)", result.output().strip());
    }

    @Test
    void showsItsUsageWithoutAJavaCommand() throws Exception {
        Result result = run(List.of(SCRIPT.toString()), Map.of());
        assertEquals(2, result.exit(), result.output());
        assertTrue(result.output().strip().startsWith("usage: "), result.output());
    }

    private record Result(int exit, String output) {
    }

    private static Result run(List<String> command, Map<String, String> env) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(new ArrayList<>(command)).redirectErrorStream(true);
        pb.environment().putAll(env);
        Process process = pb.start();
        byte[] output = process.getInputStream().readAllBytes();
        if (!process.waitFor(120, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("timed out: " + command);
        }
        return new Result(process.exitValue(), new String(output, StandardCharsets.UTF_8));
    }

    private static String java() {
        return ProcessHandle.current().info().command().orElse("java");
    }
}
