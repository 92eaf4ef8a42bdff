package org.citusrailway.benchmark;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.citusrailway.testkit.LocalPostgres;

/**
 * A coordinator and its workers as real PostgreSQL servers on 127.0.0.1 (testkit). With Citus, every node has the
 * extension and the coordinator knows its own name; the workers are left for the registrar to register.
 */
final class Cluster implements AutoCloseable {
    static final String PASSWORD = "Benchmark-Secret-7731";
    /** Citus connects node to node with this password from each server's ~/.pgpass. */
    private static final String PGPASS = "*:*:*:postgres:" + PASSWORD + "\n";

    private final LocalPostgres coordinator;
    private final List<LocalPostgres> workers;
    private final String coordinatorName;

    private Cluster(LocalPostgres coordinator, List<LocalPostgres> workers, String coordinatorName) {
        this.coordinator = coordinator;
        this.workers = workers;
        this.coordinatorName = coordinatorName;
    }

    static Cluster start(org.citusrailway.testkit.PostgresBinaries binaries, boolean citus, int workerCount,
            String coordinatorName) {
        List<LocalPostgres> started = new ArrayList<>();
        try {
            for (int i = 0; i <= workerCount; i++) {
                LocalPostgres.Builder builder = LocalPostgres.builder(binaries).password(PASSWORD).pgpass(PGPASS);
                started.add((citus ? builder.citus() : builder).start());
            }
            LocalPostgres coordinator = started.get(0);
            if (citus) {
                started.forEach(node -> node.execute("postgres", "create extension if not exists citus"));
                coordinator.execute("postgres", "select citus_set_coordinator_host('" + coordinatorName + "', "
                        + coordinator.port() + ")");
            }
            return new Cluster(coordinator, List.copyOf(started.subList(1, started.size())), coordinatorName);
        } catch (RuntimeException e) {
            started.forEach(LocalPostgres::close);
            throw e;
        }
    }

    LocalPostgres coordinator() {
        return coordinator;
    }

    List<LocalPostgres> workers() {
        return workers;
    }

    /** The registrar's settings for this cluster: the default patterns plus the real workers by name and port. */
    Map<String, String> registrarEnv() {
        Map<String, String> env = new HashMap<>();
        env.put("POSTGRES_PASSWORD", PASSWORD);
        env.put("COORDINATOR_HOST", coordinatorName);
        env.put("COORDINATOR_PORT", Integer.toString(coordinator.port()));
        List<String> hosts = new ArrayList<>();
        for (int i = 0; i < workers.size(); i++) {
            hosts.add(workerName(i) + ":" + workers.get(i).port());
        }
        env.put("WORKER_HOSTS", String.join(",", hosts));
        env.put("LOG_FORMAT", "json");
        return env;
    }

    /**
     * The name a worker is registered under. Both resolvers know them: the first is "localhost" (the readiness rounds
     * make it vanish and reappear for the registrar), the others the literal 127.0.0.1, which no lookup can take away.
     */
    static String workerName(int index) {
        return index == 0 ? "localhost" : "127.0.0.1";
    }

    int activeWorkers() throws SQLException {
        try (Connection c = coordinator.connect(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(
                "select count(*) from pg_dist_node where isactive and groupid <> 0")) {
            rs.next();
            return rs.getInt(1);
        }
    }

    /** Whether pg_dist_node on the coordinator shows the worker active, on an open connection (for fast polling). */
    static boolean isActive(Connection coordinator, String name, LocalPostgres worker) throws SQLException {
        try (PreparedStatement ps = coordinator.prepareStatement(
                "select isactive from pg_dist_node where nodename = ? and nodeport = ?")) {
            ps.setString(1, name);
            ps.setInt(2, worker.port());
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() && rs.getBoolean(1);
            }
        }
    }

    String versions() {
        try (Connection c = coordinator.connect(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(
                "select current_setting('server_version'), (select extversion from pg_extension where extname = 'citus')")) {
            rs.next();
            return "PostgreSQL " + rs.getString(1) + (rs.getString(2) == null ? "" : ", Citus " + rs.getString(2));
        } catch (SQLException e) {
            return "(version unknown: " + e.getMessage() + ")";
        }
    }

    @Override
    public void close() {
        workers.forEach(LocalPostgres::close);
        coordinator.close();
    }
}
