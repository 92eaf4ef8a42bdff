package org.citusrailway.registrar.discovery;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.citusrailway.registrar.name.Resolution;
import org.citusrailway.registrar.report.Event;
import org.citusrailway.registrar.report.EventLog;
import org.citusrailway.registrar.report.Metrics;
import org.citusrailway.registrar.view.Status;

/**
 * Names whose lookups time out or fail, pass by pass: counted in /status and /metrics, and logged once when such
 * trouble starts and once when it ends, so a resolver that drops queries is never silent. Loop thread only.
 */
public final class DnsHealth {
    /** At most this many names are spelled out in a log line or /status. */
    private static final int NAMES_SHOWN = 10;

    private final Duration timeout;
    private final EventLog log;
    private final Metrics metrics;
    private Instant troubleSince;
    private long troubledLookups;
    private Status.Dns last = Status.Dns.NONE;

    public DnsHealth(Duration timeout, EventLog log, Metrics metrics) {
        this.timeout = timeout;
        this.log = log;
        this.metrics = metrics;
    }

    public Status.Dns last() {
        return last;
    }

    public void pass(Map<String, Resolution> resolutions, long queriesSent) {
        List<String> timedOut = new ArrayList<>();
        List<String> failed = new ArrayList<>();
        int found = 0;
        int notFound = 0;
        for (Resolution resolution : resolutions.values()) {
            if (Resolution.TIMEOUT.equals(resolution.problem())) {
                timedOut.add(resolution.name());
            } else if (Resolution.FAILED.equals(resolution.problem())) {
                failed.add(resolution.name());
            } else if (resolution.resolved()) {
                found++;
            } else {
                notFound++;
            }
        }
        timedOut.sort(null);
        failed.sort(null);
        metrics.dnsPass(found, notFound, timedOut.size(), failed.size(), queriesSent);
        int troubled = timedOut.size() + failed.size();
        Instant now = Instant.now();
        if (troubled > 0 && troubleSince == null) {
            troubleSince = now;
            troubledLookups = 0;
            String which = shown(timedOut, failed);
            log.warn(Event.DNS_TROUBLE, "DNS trouble: " + timedOut.size() + " of " + resolutions.size()
                    + " names got no answer within DNS_TIMEOUT (" + timeout.toMillis() + "ms, " + Discovery.ATTEMPTS
                    + " tries each)" + (failed.isEmpty() ? "" : ", " + failed.size() + " failed at the server")
                    + ": " + which + "; registered workers are checked at their last known addresses meanwhile",
                    "timedOut", timedOut.size(), "failed", failed.size(), "names", which);
        } else if (troubled == 0 && troubleSince != null) {
            long seconds = Duration.between(troubleSince, now).toSeconds();
            log.info(Event.DNS_RECOVERED, "DNS answers every name again after " + seconds + "s of trouble ("
                    + troubledLookups + " lookups without an answer meanwhile)", "seconds", seconds,
                    "lookups", troubledLookups);
            troubleSince = null;
        }
        troubledLookups += troubled;
        last = new Status.Dns(resolutions.size(), found, notFound, timedOut.size(), failed.size(),
                List.copyOf(first(timedOut)), List.copyOf(first(failed)), troubleSince);
    }

    private static String shown(List<String> timedOut, List<String> failed) {
        List<String> names = new ArrayList<>(timedOut);
        names.addAll(failed);
        String text = String.join(", ", first(names));
        return names.size() > NAMES_SHOWN ? text + " and " + (names.size() - NAMES_SHOWN) + " more" : text;
    }

    private static List<String> first(List<String> names) {
        return names.size() > NAMES_SHOWN ? names.subList(0, NAMES_SHOWN) : names;
    }
}
