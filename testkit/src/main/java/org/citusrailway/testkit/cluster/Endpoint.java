package org.citusrailway.testkit.cluster;

/** A node's name and port as Citus registers it and the registrar is told it: {@code host:port}. */
public record Endpoint(String host, int port) {
    @Override
    public String toString() {
        return host + ":" + port;
    }
}
