package org.citusrailway.testkit.cluster;

import java.sql.Connection;
import java.sql.SQLException;
import org.citusrailway.testkit.Sql;

/**
 * A Citus coordinator and its workers for tests, as local processes ({@link LocalCitusCluster}) or containers
 * ({@link ContainerCitusCluster}). Each node is known by a key given when the cluster is built; a key may also be a
 * second name for a node. Every name is one that both Citus (libpq, through the OS resolver) and the test JVM resolve.
 * Nodes built as stopped start only when asked. Citus is created in every node's database postgres; no worker is
 * registered: that is the registrar's job.
 */
public interface CitusTestCluster extends AutoCloseable {
    /** The coordinator's key; its endpoint is the coordinator's row as it must be registered. */
    String COORDINATOR = "coordinator";

    /** The superuser password of the cluster (POSTGRES_PASSWORD), which nodes use to reach each other. */
    String password();

    /** The name and port a node (or a second name of a node) is reached under. */
    Endpoint endpoint(String key);

    /** A new superuser connection to the coordinator, from the test JVM. */
    Connection connectCoordinator() throws SQLException;

    /** Statements on the coordinator, a connection each. */
    default Sql coordinatorSql() {
        return Sql.on(this::connectCoordinator);
    }

    /**
     * Whether the name of a node built as stopped resolves before the node starts: true for local processes (a
     * loopback port where nothing listens yet, so the registrar finds the name and its probe says unreachable), false
     * for containers, whose names appear when they start, as a Railway service's do (the registrar finds no name).
     */
    boolean stoppedNodeNamesResolve();

    /** Starts a stopped node and returns once it accepts connections, with citus created. */
    void start(String key);

    /** Stops every node and removes what the cluster made (best effort). */
    @Override
    void close();
}
