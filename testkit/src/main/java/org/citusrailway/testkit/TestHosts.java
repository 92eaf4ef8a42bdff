package org.citusrailway.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The test JVM resolves names from a hosts file (-Djdk.net.hosts.file, see the registrar's surefire configuration):
 * the JDK reads it on every lookup, so adding a line makes a name appear, as Railway's DNS does when a service starts.
 */
public final class TestHosts {
    private static final Map<String, String> NAMES = new LinkedHashMap<>();

    static {
        NAMES.put("localhost", "127.0.0.1");
        NAMES.put(machineName(), "127.0.0.1");
    }

    private TestHosts() {
    }

    /** Whether this JVM resolves from a test hosts file (else names resolve as the OS resolves them). */
    public static boolean inUse() {
        return System.getProperty("jdk.net.hosts.file") != null;
    }

    public static Path file() {
        String path = System.getProperty("jdk.net.hosts.file");
        if (path == null) {
            throw new IllegalStateException("run through Maven: the surefire configuration sets jdk.net.hosts.file");
        }
        return Path.of(path);
    }

    public static synchronized void map(String name, String address) {
        NAMES.put(name, address);
        write();
    }

    public static synchronized void unmap(String name) {
        NAMES.remove(name);
        write();
    }

    /** Whether the OS resolver (what libpq, and so Citus, uses) answers the name with 127.0.0.1. */
    public static boolean resolvesToLoopbackThroughTheOs(String name) {
        try {
            Process p = new ProcessBuilder("getent", "hosts", name).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            return p.waitFor() == 0 && out.startsWith("127.0.0.1");
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** The machine's host name, which the OS (and so libpq inside Citus) resolves too. */
    public static String machineName() {
        try {
            return Files.readString(Path.of("/proc/sys/kernel/hostname")).trim().toLowerCase(java.util.Locale.ROOT);
        } catch (IOException e) {
            return "localhost";
        }
    }

    private static void write() {
        StringBuilder content = new StringBuilder("# written by TestHosts\n");
        NAMES.forEach((name, address) -> content.append(address).append(' ').append(name).append('\n'));
        try {
            Path target = file();
            Path temp = Files.createTempFile(target.getParent(), "hosts", ".tmp");
            Files.writeString(temp, content);
            Files.move(temp, target, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                    java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
