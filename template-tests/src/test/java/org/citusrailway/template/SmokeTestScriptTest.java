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
import org.citusrailway.testkit.LocalPostgres;
import org.citusrailway.testkit.PostgresBinaries;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * scripts/smoke-test.sh, the check the README and the Docker workflow run against a live cluster, run for real
 * against a Citus coordinator and two workers as local processes, with the real registrar registering them.
 */
class SmokeTestScriptTest {
    private static final String PASSWORD = "Smoke-Test-Secret-31";

    @Test
    void passesAgainstALiveClusterThatTheRegistrarAssembled() throws Exception {
        PostgresBinaries citus = PostgresBinaries.withCitus().orElse(null);
        Assumptions.assumeTrue(citus != null, PostgresBinaries.citusMissingReason());
        String coordinatorName = java.net.InetAddress.getLocalHost().getHostName();
        Assumptions.assumeTrue(java.net.InetAddress.getByName(coordinatorName).isLoopbackAddress(),
                "the machine's host name " + coordinatorName + " does not resolve to loopback; the coordinator needs"
                        + " a name other than localhost that every local process resolves");

        List<LocalPostgres> nodes = new ArrayList<>();
        Process registrar = null;
        try {
            for (int i = 0; i < 3; i++) {
                LocalPostgres node = LocalPostgres.builder(citus).password(PASSWORD).citus()
                        .pgpass("*:*:*:postgres:" + PASSWORD + "\n").start();
                node.execute("postgres", "CREATE EXTENSION citus");
                nodes.add(node);
            }
            int httpPort = org.citusrailway.testkit.FreePorts.next();
            ProcessBuilder pb = new ProcessBuilder(javaBinary(), "-cp", System.getProperty("java.class.path"),
                    "org.citusrailway.registrar.Main").redirectErrorStream(true);
            Path registrarLog = Files.createTempFile("registrar", ".log");
            pb.redirectOutput(registrarLog.toFile());
            Map<String, String> env = pb.environment();
            env.put("COORDINATOR_HOST", coordinatorName);
            env.put("COORDINATOR_PORT", Integer.toString(nodes.get(0).port()));
            env.put("POSTGRES_PASSWORD", PASSWORD);
            env.put("WORKER_INDEX_MAX", "0");
            env.put("WORKER_HOSTS", "localhost:" + nodes.get(1).port() + ",localhost:" + nodes.get(2).port());
            env.put("PORT", Integer.toString(httpPort));
            env.put("LOG_FORMAT", "text");
            registrar = pb.start();

            ProcessBuilder smoke = new ProcessBuilder("bash", ProjectFiles.resolve("scripts/smoke-test.sh").toString())
                    .redirectErrorStream(true);
            smoke.environment().put("DATABASE_URL",
                    "postgresql://postgres:" + PASSWORD + "@127.0.0.1:" + nodes.get(0).port() + "/postgres");
            smoke.environment().put("REGISTRAR_URL", "http://127.0.0.1:" + httpPort);
            smoke.environment().put("TIMEOUT_SECONDS", "60");
            Process run = smoke.start();
            String output = new String(run.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(run.waitFor(120, TimeUnit.SECONDS));
            assertEquals(0, run.exitValue(), "smoke test failed:\n" + output + "\nregistrar log:\n"
                    + Files.readString(registrarLog));
            assertTrue(output.contains("smoke-test: events holds 10000 rows in shards on 2 workers"), output);
            assertTrue(output.trim().endsWith("smoke-test: OK"), output);
            assertTrue(!Files.readString(registrarLog).contains(PASSWORD), "the registrar printed the password");
        } finally {
            if (registrar != null) {
                registrar.destroy();
                registrar.waitFor(10, TimeUnit.SECONDS);
            }
            nodes.forEach(LocalPostgres::close);
        }
    }

    private static String javaBinary() {
        return ProcessHandle.current().info().command().orElse("java");
    }

}
