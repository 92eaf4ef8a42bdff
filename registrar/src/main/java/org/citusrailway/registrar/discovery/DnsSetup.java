package org.citusrailway.registrar.discovery;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.List;
import org.xbill.DNS.Name;
import org.xbill.DNS.ResolverConfig;

/**
 * Where names are looked up, taken from the container's own resolver configuration as libc reads it: the nameservers,
 * search list and ndots of /etc/resolv.conf (RES_OPTIONS and LOCALDOMAIN too), and /etc/hosts first. Railway writes
 * its private DNS server into resolv.conf, so nothing here names a server.
 *
 * @param servers    nameservers, tried in this order
 * @param searchPath domains appended to names with fewer than ndots dots (and to others after the name itself)
 * @param hostsFile  consulted before DNS; a name it lists is answered from it alone
 * @param hostsOnly  no DNS at all, the hosts file only: the JDK's own rule for {@value #JDK_HOSTS_FILE}, which tests use
 */
public record DnsSetup(List<InetSocketAddress> servers, List<Name> searchPath, int ndots, Path hostsFile, boolean hostsOnly) {
    static final String JDK_HOSTS_FILE = "jdk.net.hosts.file";

    static DnsSetup system() {
        String jdkHosts = System.getProperty(JDK_HOSTS_FILE);
        if (jdkHosts != null) {
            return new DnsSetup(List.of(), List.of(), 1, Path.of(jdkHosts), true);
        }
        ResolverConfig config = ResolverConfig.getCurrentConfig();
        return new DnsSetup(List.copyOf(config.servers()), List.copyOf(config.searchPath()), config.ndots(),
                Path.of("/etc/hosts"), false);
    }

    /** One nameserver and no search list or hosts file entries (tests and the benchmark's own server). */
    public static DnsSetup server(InetSocketAddress server, Path hostsFile) {
        return new DnsSetup(List.of(server), List.of(), 1, hostsFile, false);
    }
}
