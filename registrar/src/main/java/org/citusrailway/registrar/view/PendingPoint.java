package org.citusrailway.registrar.view;

import java.time.Instant;
import java.util.Map;
import org.citusrailway.registrar.name.HostPort;

/**
 * A restore point written on every node, not yet restorable.
 *
 * @param segments per node, the WAL segment holding the point (null until the node's segment is closed)
 * @param waiting  per node still waiting, why
 */
public record PendingPoint(String name, Instant at, Map<HostPort, String> segments, Map<HostPort, String> waiting,
        boolean said) {
}
