package org.citusrailway.registrar;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;

/** Main as a child JVM with only the given registrar variables, output to files (see ProcessTest). */
final class RegistrarProcess {
    private RegistrarProcess() {
    }

    static Process launch(Map<String, String> env, Path out, Path err) throws IOException {
        return launch(env, out, err, List.of());
    }

    static Process launch(Map<String, String> env, Path out, Path err, List<String> args) throws IOException {
        List<String> command = new ArrayList<>(java("-Djdk.net.hosts.file=" + TestHosts.file()));
        command.addAll(args);
        return start(command, env, out, err);
    }

    /**
     * Main as a child JVM that resolves through the system's resolver configuration (no test hosts file), its command
     * wrapped, e.g. into a ResolverSandbox's mount namespace.
     */
    static Process launchWithSystemResolver(Map<String, String> env, Path out, Path err,
            UnaryOperator<List<String>> wrapper) throws IOException {
        return start(wrapper.apply(java()), env, out, err);
    }

    private static List<String> java(String... properties) {
        String classpath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:+UseSerialGC", "-Xmx64m", "-XX:TieredStopAtLevel=1", "-Xshare:auto"));
        command.addAll(List.of(properties));
        command.addAll(List.of("-cp", classpath, "org.citusrailway.registrar.Main"));
        return command;
    }

    private static Process start(List<String> command, Map<String, String> env, Path out, Path err) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile());
        pb.environment().keySet().removeIf(k -> k.startsWith("POSTGRES") || k.startsWith("RAILWAY")
                || k.startsWith("WORKER") || k.startsWith("COORDINATOR") || k.equals("PORT") || k.equals("LOG_FORMAT")
                || k.equals("SCAN_INTERVAL") || k.equals("READY_CHECK_INTERVAL") || k.startsWith("REBALANCE"));
        pb.environment().putAll(env);
        return pb.start();
    }

    static String read(Path file) {
        try {
            return Files.exists(file) ? Files.readString(file, StandardCharsets.UTF_8) : "";
        } catch (IOException e) {
            return "";
        }
    }
}
