package org.citusrailway.registrar.config;

/** A worker as Citus knows it: the name (never an address) and port passed to citus_add_node. */
public record HostPort(String host, int port) implements Comparable<HostPort> {

    @Override
    public int compareTo(HostPort other) {
        int byHost = host.compareTo(other.host);
        return byHost != 0 ? byHost : Integer.compare(port, other.port);
    }

    @Override
    public String toString() {
        return host + ":" + port;
    }
}
