package org.citusrailway.benchmark;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import org.citusrailway.testkit.TestHosts;

/**
 * Names both resolvers agree on. Citus (libpq) resolves node names through the OS, the registrar through the JVM; the
 * registrar's JVM gets a hosts file (-Djdk.net.hosts.file) with just localhost and this machine's name, so the 80
 * default candidate names (worker1.railway.internal …) fail at once without any DNS traffic.
 */
final class LocalNames {
    static final String HOSTS_FILE_PROPERTY = "jdk.net.hosts.file";

    private LocalNames() {
    }

    /**
     * This machine's host name: the coordinator's name in pg_dist_node (COORDINATOR_HOST may not be a loopback name,
     * because workers connect back under it), resolved by the OS to this machine.
     */
    static String machineName() throws IOException {
        String name = TestHosts.machineName();
        if (!InetAddress.getByName(name).isLoopbackAddress()) {
            throw new IOException("this machine's name \"" + name + "\" does not resolve to a loopback address"
                    + " (see /etc/hosts); the benchmark needs it as the coordinator's name");
        }
        return name;
    }

    /** Writes the registrar's hosts file (for {@link #HOSTS_FILE_PROPERTY}) and returns it. */
    static Path hostsFile(Path file, String machineName) throws IOException {
        return Files.writeString(file, "127.0.0.1 localhost\n127.0.0.1 " + machineName + "\n");
    }
}
