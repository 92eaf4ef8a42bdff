package org.citusrailway.registrar;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.Map;
import org.citusrailway.registrar.config.HostPort;

/**
 * A Citus coordinator with workers, for the scenario suite. Every worker is named as Citus (libpq, the OS resolver)
 * and the registrar (the JVM's lookup path) both resolve it. Workers 3 and the retiree start only when asked.
 */
interface CitusCluster extends AutoCloseable {

    /** Environment for the registrar: coordinator, credentials, and how it finds the workers. */
    Map<String, String> registrarEnvironment();

    /** The coordinator's row as the registrar must set it. */
    HostPort coordinatorRow();

    Connection connectCoordinator() throws SQLException;

    /** Workers 1 and 2 (running from the start) and 3 (started later), as registered. */
    HostPort worker(int n);

    /** A Citus worker whose superuser password differs from POSTGRES_PASSWORD. */
    HostPort wrongPasswordWorker();

    /** A second name for worker 1 (same server_id). */
    HostPort worker1Alias();

    /** The coordinator listed as a worker candidate. */
    HostPort coordinatorAsWorker();

    /** A worker with its own name, for retirement (retirement is by name). */
    HostPort retiree();

    /** Starts worker 3 and returns once it accepts connections with citus created. */
    void startWorker3();

    void startRetiree();

    String password();

    @Override
    void close();
}
