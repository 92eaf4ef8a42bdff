package org.citusrailway.testkit.node;

import java.util.List;
import java.util.function.UnaryOperator;
import org.citusrailway.testkit.node.NodeUnderTest.NodeBinaries;

/** A coordinator and two workers, each under the wrapper (database app), the workers registered on loopback. */
public class NodeCluster implements AutoCloseable {
    public final NodeUnderTest coordinator;
    public final NodeUnderTest worker1;
    public final NodeUnderTest worker2;

    public NodeCluster(NodeBinaries binaries) {
        this(binaries, node -> node);
    }

    /** Each node set up by {@code configure} before it first starts. */
    public NodeCluster(NodeBinaries binaries, UnaryOperator<NodeUnderTest> configure) {
        coordinator = configure.apply(new NodeUnderTest(binaries, "coordinator").env("POSTGRES_DB", "app"));
        worker1 = configure.apply(new NodeUnderTest(binaries, "worker").env("POSTGRES_DB", "app"));
        worker2 = configure.apply(new NodeUnderTest(binaries, "worker").env("POSTGRES_DB", "app"));
        coordinator.start();
        worker1.start();
        worker2.start();
        coordinator.execute(
                "select citus_set_coordinator_host('127.0.0.1', " + coordinator.serverPort() + ")",
                "select citus_add_node('127.0.0.1', " + worker1.serverPort() + ")",
                "select citus_add_node('127.0.0.1', " + worker2.serverPort() + ")");
    }

    public List<NodeUnderTest> nodes() {
        return List.of(coordinator, worker1, worker2);
    }

    @Override
    public void close() {
        for (NodeUnderTest node : List.of(coordinator, worker1, worker2)) {
            node.close();
        }
    }
}
