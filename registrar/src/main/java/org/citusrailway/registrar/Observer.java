package org.citusrailway.registrar;

import java.net.InetAddress;
import java.sql.SQLException;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.citusrailway.registrar.coordinator.CoordinatorSession;
import org.citusrailway.registrar.discovery.Discovery;
import org.citusrailway.registrar.discovery.DnsHealth;
import org.citusrailway.registrar.name.HostPort;
import org.citusrailway.registrar.name.Resolution;
import org.citusrailway.registrar.probe.TcpCheck;
import org.citusrailway.registrar.probe.WorkerProbe;
import org.citusrailway.registrar.reconcile.LeaderState;
import org.citusrailway.registrar.reconcile.Snapshot;
import org.citusrailway.registrar.reconcile.Targets;
import org.citusrailway.registrar.result.ProbeResult;
import org.citusrailway.registrar.row.NodeRow;

/**
 * A pass's first step: reads the catalog, resolves every name, then checks and probes the workers {@link Targets}
 * picks (probes in parallel, TCP checks meanwhile on the loop thread), into one {@link Snapshot}. Reads only.
 */
final class Observer {
    private final HostPort coordinator;
    private final List<HostPort> candidates;
    private final Duration connectTimeout;
    private final Discovery discovery;
    private final DnsHealth dnsHealth;
    private final WorkerProbe probe;
    private final InstantSource clock;

    Observer(HostPort coordinator, List<HostPort> candidates, Duration connectTimeout, Discovery discovery,
            DnsHealth dnsHealth, WorkerProbe probe, InstantSource clock) {
        this.coordinator = coordinator;
        this.candidates = candidates;
        this.connectTimeout = connectTimeout;
        this.discovery = discovery;
        this.dnsHealth = dnsHealth;
        this.probe = probe;
        this.clock = clock;
    }

    /** @param triggeredBy the watched worker whose readiness started this pass, or null (a scheduled pass) */
    Snapshot observe(CoordinatorSession session, LeaderState memory, HostPort triggeredBy)
            throws SQLException, InterruptedException {
        List<NodeRow> nodes = session.nodes();
        Set<String> retired = Set.copyOf(session.retiredNames());
        Map<String, Resolution> resolutions = discovery.resolve(Targets.names(candidates, nodes, memory));
        dnsHealth.pass(resolutions, discovery.queriesSent());

        Targets targets = Targets.of(candidates, nodes, retired, resolutions, memory, System.nanoTime());
        Map<HostPort, ProbeResult> probes = new ConcurrentHashMap<>();
        List<TcpCheck.Target<HostPort>> checks = new ArrayList<>();
        for (NodeRow row : targets.check()) {
            checks.add(new TcpCheck.Target<>(row.key(), resolutions.get(row.key().host()).addresses(), row.port()));
        }
        Map<HostPort, Boolean> alive;
        if (targets.probe().isEmpty()) {
            alive = TcpCheck.acceptsAll(checks, connectTimeout);
        } else {
            // Probes are bounded by connect/socket timeouts; close() waits for every one. The TCP checks run meanwhile.
            try (ExecutorService parallel = Executors.newVirtualThreadPerTaskExecutor()) {
                probeAll(parallel, targets.probe(), resolutions, probes);
                alive = TcpCheck.acceptsAll(checks, connectTimeout);
            }
        }
        stopIfInterrupted();
        Map<HostPort, ProbeResult> verified = new ConcurrentHashMap<>();
        List<HostPort> identityChecks = targets.identityChecks(alive, memory, System.nanoTime());
        if (!identityChecks.isEmpty()) {
            try (ExecutorService parallel = Executors.newVirtualThreadPerTaskExecutor()) {
                probeAll(parallel, identityChecks, resolutions, verified);
            }
            stopIfInterrupted();
        }
        Map<HostPort, String> serverIds = Targets.needServerIds(nodes, probes) ? session.workerServerIds() : Map.of();
        return new Snapshot(System.nanoTime(), clock.instant(), coordinator, session.citusVersion(),
                session.serverId(), session.restoredTo(), List.copyOf(nodes), retired, Map.copyOf(resolutions),
                Map.copyOf(probes), Map.copyOf(alive), Map.copyOf(verified), Map.copyOf(serverIds), triggeredBy);
    }

    private void probeAll(ExecutorService parallel, List<HostPort> workers, Map<String, Resolution> resolutions,
            Map<HostPort, ProbeResult> results) {
        for (HostPort worker : workers) {
            List<InetAddress> addresses = resolutions.get(worker.host()).addresses();
            parallel.execute(() -> results.put(worker, probe.probe(worker, addresses)));
        }
    }

    static void stopIfInterrupted() throws InterruptedException {
        if (Thread.currentThread().isInterrupted()) {
            throw new InterruptedException("stopping");
        }
    }
}
