package org.citusrailway.registrar.pg;

import java.net.InetAddress;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import org.citusrailway.registrar.config.Config;
import org.citusrailway.registrar.config.SslMode;
import org.citusrailway.registrar.name.HostPort;
import org.postgresql.Driver;

/**
 * Opens JDBC connections with the configured credentials. The password travels only in {@link Properties}, never in
 * the URL, so it cannot show up in an exception message. All timeouts are bounded so that no connection can hold up
 * shutdown or a pass: TCP connect, socket reads, the cancel signal, and server-side statement and lock timeouts.
 */
public final class PgConnector {
    private static final String APPLICATION_NAME = "citus-registrar";

    private final Config config;
    private final Driver driver = new Driver();

    public PgConnector(Config config) {
        this.config = config;
    }

    /** The coordinator session: server settings make a vanished registrar's session (and its lock) end soon. */
    public Connection openCoordinator() throws SQLException {
        long idleLimit = Math.max(30_000, config.scanInterval().toMillis() * 5);
        String options = serverOptions()
                + " -c idle_session_timeout=" + idleLimit
                + " -c tcp_keepalives_idle=10 -c tcp_keepalives_interval=5 -c tcp_keepalives_count=3"
                // run_command_on_workers must not wait Citus's default 30 s on a worker that is down
                + " -c citus.node_connection_timeout=" + config.connectTimeout().toMillis()
                // No cached connections to workers in this long-lived session: a cached one to a worker that has
                // restarted since is dead, and citus_add_node on it fails with "terminating connection due to
                // administrator command". Without Citus loaded this is a harmless placeholder setting.
                + " -c citus.max_cached_conns_per_worker=0";
        Properties props = properties(options, config.statementTimeout().plusSeconds(5));
        return driver.connect(url(config.coordinator()), props);
    }


    /**
     * A probe connection to the worker's addresses, tried in order (by name when none are given, or when
     * verify-full must check the name against the certificate).
     */
    public Connection openWorker(HostPort worker, List<InetAddress> addresses) throws SQLException {
        String url = addresses.isEmpty() || config.sslMode() == SslMode.VERIFY_FULL ? url(worker)
                : url(addresses, worker.port());
        return driver.connect(url, properties(serverOptions(), config.connectTimeout().plusSeconds(3)));
    }

    /**
     * A connection to a node for its backups: no statement or socket timeout, since a backup runs as long as the
     * data takes (pgBackRest bounds every wait on the bucket itself); keepalives notice a node that vanished.
     */
    public Connection openForBackups(HostPort node) throws SQLException {
        Properties props = properties("-c statement_timeout=0 -c lock_timeout=" + config.lockTimeout().toMillis()
                + " -c tcp_keepalives_idle=30 -c tcp_keepalives_interval=10 -c tcp_keepalives_count=3", Duration.ZERO);
        props.setProperty("socketTimeout", "0");
        return driver.connect(url(node), props);
    }

    private String url(List<InetAddress> addresses, int port) {
        StringBuilder hosts = new StringBuilder();
        for (InetAddress address : addresses) {
            String literal = address.getHostAddress();
            hosts.append(hosts.isEmpty() ? "" : ",").append(literal.contains(":") ? "[" + literal + "]" : literal)
                    .append(':').append(port);
        }
        return "jdbc:postgresql://" + hosts + "/" + URLEncoder.encode(config.database(), StandardCharsets.UTF_8);
    }

    private String serverOptions() {
        return "-c statement_timeout=" + config.statementTimeout().toMillis()
                + " -c lock_timeout=" + config.lockTimeout().toMillis();
    }

    private Properties properties(String options, Duration socketTimeout) {
        Properties props = new Properties();
        props.setProperty("user", config.user());
        props.setProperty("password", config.password());
        props.setProperty("ApplicationName", APPLICATION_NAME);
        props.setProperty("connectTimeout", Long.toString(wholeSeconds(config.connectTimeout())));
        props.setProperty("socketTimeout", Long.toString(wholeSeconds(socketTimeout)));
        // Default is 10 s; a cancel must never delay shutdown.
        props.setProperty("cancelSignalTimeout", "1");
        props.setProperty("tcpKeepAlive", "true");
        props.setProperty("sslmode", config.sslMode().jdbcValue());
        // Lets the driver put its session settings into the start-up packet: one round trip less per connection.
        props.setProperty("assumeMinServerVersion", "12");
        props.setProperty("options", options);
        return props;
    }

    private String url(HostPort target) {
        return "jdbc:postgresql://" + target.host() + ":" + target.port() + "/"
                + URLEncoder.encode(config.database(), StandardCharsets.UTF_8);
    }

    private static long wholeSeconds(Duration duration) {
        return Math.max(1, (duration.toMillis() + 999) / 1000);
    }
}
