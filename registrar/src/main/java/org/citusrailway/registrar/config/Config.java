package org.citusrailway.registrar.config;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.citusrailway.registrar.name.DnsName;
import org.citusrailway.registrar.name.HostPort;
import org.citusrailway.registrar.report.LogFormat;

/**
 * Everything the registrar is told through environment variables, validated as a whole before anything starts.
 * {@link #toString()} leaves the password out.
 */
public record Config(
        HostPort coordinator,
        String user,
        String password,
        String database,
        List<String> workerNamePatterns,
        int workerIndexMax,
        String privateDomain,
        int workerPort,
        List<HostPort> workerHosts,
        Duration scanInterval,
        Duration readyCheckInterval,
        int httpPort,
        LogFormat logFormat,
        Duration connectTimeout,
        Duration dnsTimeout,
        Duration statementTimeout,
        Duration lockTimeout,
        Duration probeRetryMax,
        Duration workerLostAfter,
        SslMode sslMode,
        boolean rebalanceOnJoin,
        ShardTransferMode rebalanceTransferMode,
        BackupSchedule backupSchedule,
        Membership membership,
        int patroniPort) {

    public static final String DEFAULT_PATTERNS = "worker{n},worker-{n},citus-worker{n},citus-worker-{n}";

    public static Config fromEnvironment(Map<String, String> env) {
        EnvReader read = new EnvReader(env);
        String coordinatorHost = read.hostName("COORDINATOR_HOST", "coordinator.railway.internal");
        if (coordinatorHost.equals("localhost") || coordinatorHost.startsWith("127.")) {
            // Workers connect back to the coordinator under this name; on a worker "localhost" is the worker.
            throw new ConfigException("COORDINATOR_HOST", "\"" + coordinatorHost
                    + "\" is a loopback name; workers must be able to reach the coordinator under it");
        }
        int coordinatorPort = read.port("COORDINATOR_PORT", 5432);
        String user = read.string("POSTGRES_USER", "postgres");
        String password = read.required("POSTGRES_PASSWORD");
        String database = read.string("POSTGRES_DB", "postgres");
        String domain = read.hostName("PRIVATE_DOMAIN", "railway.internal");
        List<String> patterns = read.list("WORKER_NAME_PATTERNS", DEFAULT_PATTERNS);
        for (String pattern : patterns) {
            checkPattern(pattern, domain);
        }
        int indexMax = read.integer("WORKER_INDEX_MAX", 20, 0, 1000);
        int workerPort = read.port("WORKER_PORT", 5432);
        List<HostPort> workerHosts = read.hosts("WORKER_HOSTS", workerPort);
        if (patterns.isEmpty() && workerHosts.isEmpty()) {
            throw new ConfigException("WORKER_NAME_PATTERNS", "is empty and WORKER_HOSTS is empty too: nothing to discover");
        }
        // A full pass (every candidate looked up, pg_dist_node read, registered workers checked) costs a few ms of CPU;
        // between passes only pending candidates are watched, every READY_CHECK_INTERVAL, with a TCP connect.
        Duration scanInterval = read.duration("SCAN_INTERVAL", Duration.ofSeconds(5), Duration.ofMillis(100));
        Duration readyCheckInterval = read.duration("READY_CHECK_INTERVAL", Duration.ofMillis(250),
                Duration.ofMillis(50));
        int httpPort = read.integer("PORT", 8080, 0, 65535);
        LogFormat logFormat = read.choice("LOG_FORMAT", LogFormat.class, LogFormat.defaultFor(env));
        Duration connectTimeout = read.duration("CONNECT_TIMEOUT", Duration.ofSeconds(2), Duration.ofMillis(100));
        Duration dnsTimeout = read.duration("DNS_TIMEOUT", Duration.ofSeconds(1), Duration.ofMillis(10));
        Duration statementTimeout = read.duration("STATEMENT_TIMEOUT", Duration.ofSeconds(10), Duration.ofMillis(100));
        Duration lockTimeout = read.duration("LOCK_TIMEOUT", Duration.ofSeconds(2), Duration.ofMillis(10));
        Duration probeRetryMax = read.duration("PROBE_RETRY_MAX", Duration.ofSeconds(5), Duration.ZERO);
        // Three passes of failed TCP checks at the default SCAN_INTERVAL: one refused connect or one slow lookup is
        // not a lost worker.
        Duration workerLostAfter = read.duration("WORKER_LOST_AFTER", Duration.ofSeconds(15), Duration.ZERO);
        // Railway's private network is already encrypted (WireGuard); TLS set-up would cost start-up time and CPU per probe.
        SslMode sslMode = read.choice("POSTGRES_SSLMODE", SslMode.class, SslMode.REQUIRE);
        // A new worker holds no data until shards move; without this it only serves new reference-table writes.
        boolean rebalanceOnJoin = read.bool("REBALANCE_ON_JOIN", true);
        ShardTransferMode transferMode = read.choice("REBALANCE_TRANSFER_MODE", ShardTransferMode.class,
                ShardTransferMode.AUTO, ShardTransferMode::citusValue);
        // patroni in the high-availability variant (docs/high-availability.md): Patroni owns pg_dist_node.
        Membership membership = read.choice("MEMBERSHIP", Membership.class, Membership.REGISTRAR);
        int patroniPort = read.port("PATRONI_PORT", 8008);
        return new Config(new HostPort(coordinatorHost, coordinatorPort), user, password, database, List.copyOf(patterns),
                indexMax, domain, workerPort, List.copyOf(workerHosts), scanInterval, readyCheckInterval, httpPort, logFormat,
                connectTimeout, dnsTimeout, statementTimeout, lockTimeout, probeRetryMax, workerLostAfter, sslMode,
                rebalanceOnJoin, transferMode, BackupSchedule.read(read), membership, patroniPort);
    }

    private static void checkPattern(String pattern, String domain) {
        if (!pattern.contains("{n}")) {
            throw new ConfigException("WORKER_NAME_PATTERNS", "\"" + pattern + "\" has no {n} placeholder");
        }
        String sample = pattern.replace("{n}", "1") + "." + domain;
        String problem = DnsName.problem(sample);
        if (problem != null) {
            throw new ConfigException("WORKER_NAME_PATTERNS", "\"" + pattern + "\" does not make valid host names: " + problem);
        }
    }

    @Override
    public String toString() {
        return "Config[coordinator=" + coordinator + ", user=" + user + ", database=" + database
                + ", workerNamePatterns=" + workerNamePatterns + ", workerIndexMax=" + workerIndexMax
                + ", privateDomain=" + privateDomain + ", workerPort=" + workerPort + ", workerHosts=" + workerHosts
                + ", scanInterval=" + scanInterval + ", readyCheckInterval=" + readyCheckInterval + ", httpPort=" + httpPort + ", logFormat=" + logFormat
                + ", rebalanceOnJoin=" + rebalanceOnJoin + ", rebalanceTransferMode=" + rebalanceTransferMode.citusValue()
                + ", backupSchedule=" + backupSchedule + ", membership=" + membership + "]";
    }
}
