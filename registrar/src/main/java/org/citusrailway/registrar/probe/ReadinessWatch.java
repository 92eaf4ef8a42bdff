package org.citusrailway.registrar.probe;

import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.citusrailway.registrar.name.HostPort;
import org.citusrailway.registrar.result.ProbeResult;

/**
 * Between full passes: the candidates whose last probe failed cheaply (unreachable, starting up) or whose add failed
 * transiently are watched every READY_CHECK_INTERVAL, so a worker that becomes ready is registered at once instead of
 * at the next SCAN_INTERVAL. An unreachable one is checked with a TCP connect (no authentication, nothing logged by
 * PostgreSQL); one that answered "starting up" already accepts TCP, so it is probed again (it fails before
 * authentication while PostgreSQL starts). One that was pending and then had no citus extension yet (a worker that
 * creates it just after it starts listening) is probed at most once a second, until the next pass. With nothing
 * pending nothing runs between passes.
 */
public final class ReadinessWatch {
    /** Bounds the TCP checks, so that a candidate whose address does not route cannot stall the watch (or shutdown). */
    private static final Duration MAX_CHECK = Duration.ofSeconds(1);
    private static final long SLOW_PROBE_NANOS = Duration.ofSeconds(1).toNanos();

    /** How a pending worker is watched. */
    public enum Mode {
        /** Unreachable: ready once it accepts a TCP connection. */
        TCP,
        /** Starting up: probed (fails before authentication while PostgreSQL starts). */
        PROBE,
        /** Citus not created yet, right after it came up: an authenticated probe, at most once a second. */
        SLOW_PROBE
    }

    /** A pending worker and its addresses from the last pass. */
    public record Target(HostPort worker, List<InetAddress> addresses, Mode mode) {
    }

    private final WorkerProbe probe;
    private final Duration timeout;
    private List<Target> targets = List.of();
    private final Map<HostPort, Long> nextSlowProbe = new HashMap<>();

    public ReadinessWatch(WorkerProbe probe, Duration connectTimeout) {
        this.probe = probe;
        this.timeout = connectTimeout.compareTo(MAX_CHECK) < 0 ? connectTimeout : MAX_CHECK;
    }

    /** What to watch from now until the next pass. */
    public void watch(List<Target> pending) {
        targets = pending;
        nextSlowProbe.clear();
        long first = System.nanoTime() + SLOW_PROBE_NANOS;
        for (Target target : pending) {
            if (target.mode() == Mode.SLOW_PROBE) {
                nextSlowProbe.put(target.worker(), first);
            }
        }
    }

    boolean idle() {
        return targets.isEmpty();
    }

    /** The first target that looks ready now (a full pass should run), or null. All are TCP-checked at once. */
    public HostPort firstReady() {
        List<Target> due = new ArrayList<>();
        List<TcpCheck.Target<HostPort>> checks = new ArrayList<>();
        long now = System.nanoTime();
        for (Target target : targets) {
            if (target.mode() == Mode.SLOW_PROBE) {
                if (now - nextSlowProbe.get(target.worker()) < 0) {
                    continue;
                }
                nextSlowProbe.put(target.worker(), now + SLOW_PROBE_NANOS);
            }
            due.add(target);
            checks.add(new TcpCheck.Target<>(target.worker(), target.addresses(), target.worker().port()));
        }
        Map<HostPort, Boolean> accepting = TcpCheck.acceptsAll(checks, timeout);
        for (Target target : due) {
            if (Thread.currentThread().isInterrupted()) {
                return null;
            }
            if (!accepting.get(target.worker())) {
                continue;
            }
            if (target.mode() == Mode.TCP) {
                return target.worker();
            }
            ProbeResult result = probe.probe(target.worker(), target.addresses());
            boolean notYet = result instanceof ProbeResult.Failed failed && !failed.reason().costly()
                    || result instanceof ProbeResult.Reached reached && reached.citusVersion() == null;
            if (!notYet) {
                return target.worker();
            }
        }
        return null;
    }
}
