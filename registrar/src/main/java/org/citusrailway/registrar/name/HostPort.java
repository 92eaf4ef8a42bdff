package org.citusrailway.registrar.name;

/** A worker as Citus knows it: the name (never an address) and port passed to citus_add_node. */
public record HostPort(String host, int port) implements Comparable<HostPort> {

    @Override
    public int compareTo(HostPort other) {
        int byHost = host.compareTo(other.host);
        return byHost != 0 ? byHost : Integer.compare(port, other.port);
    }

    /*
     * Written out: a record's generated equals and hashCode go through method handles, which C1 (the image's only
     * compiler) does not inline, and HostPort is a map key everywhere in a pass.
     */
    @Override
    public boolean equals(Object other) {
        return this == other || other instanceof HostPort that && port == that.port && host.equals(that.host);
    }

    @Override
    public int hashCode() {
        return 31 * host.hashCode() + port;
    }

    @Override
    public String toString() {
        return host + ":" + port;
    }
}
