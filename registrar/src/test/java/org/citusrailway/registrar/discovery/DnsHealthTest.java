package org.citusrailway.registrar.discovery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.citusrailway.registrar.LogCapture;
import org.citusrailway.registrar.name.Resolution;
import org.citusrailway.registrar.report.Event;
import org.citusrailway.registrar.report.EventLog;
import org.citusrailway.registrar.report.Metrics;
import org.citusrailway.registrar.report.Redactor;
import org.citusrailway.registrar.view.Status;
import org.junit.jupiter.api.Test;

/** DNS trouble is counted every pass, and logged once when it starts and once when it ends. */
class DnsHealthTest {

    private static Map<String, Resolution> pass(String... timedOut) {
        Map<String, Resolution> results = new HashMap<>();
        results.put("worker1.railway.internal", Resolution.found("worker1.railway.internal",
                List.of(InetAddress.getLoopbackAddress())));
        results.put("worker2.railway.internal", Resolution.failed("worker2.railway.internal", Resolution.NOT_FOUND));
        for (String name : timedOut) {
            results.put(name, Resolution.failed(name, Resolution.TIMEOUT));
        }
        return results;
    }

    @Test
    void troubleIsLoggedOnceWhenItStartsAndOnceWhenItEndsAndCountedMeanwhile() {
        Metrics metrics = new Metrics();
        try (LogCapture logs = new LogCapture()) {
            DnsHealth health = new DnsHealth(Duration.ofSeconds(1), new EventLog(new Redactor("x")), metrics);
            health.pass(pass(), 4);
            assertEquals(0, logs.count(Event.DNS_TROUBLE));

            health.pass(pass("worker7.railway.internal", "worker9.railway.internal"), 20);
            health.pass(pass("worker9.railway.internal"), 40);
            assertEquals(1, logs.count(Event.DNS_TROUBLE), "once, when it starts");
            Status.Dns dns = health.last();
            assertEquals(3, dns.names());
            assertEquals(1, dns.timedOut());
            assertEquals(List.of("worker9.railway.internal"), dns.timedOutNames());
            assertNotNull(dns.troubleSince());
            String text = metrics.render();
            assertTrue(text.contains("citus_registrar_dns_lookups_total{result=\"timeout\"} 3\n"), text);
            assertTrue(text.contains("citus_registrar_dns_lookups_total{result=\"found\"} 3\n"), text);
            assertTrue(text.contains("citus_registrar_dns_lookups_total{result=\"not-found\"} 3\n"), text);
            assertTrue(text.contains("citus_registrar_dns_names_unanswered{result=\"timeout\"} 1\n"), text);
            assertTrue(text.contains("citus_registrar_dns_queries_total 40\n"), text);

            health.pass(pass(), 44);
            health.pass(pass(), 48);
            assertEquals(1, logs.count(Event.DNS_RECOVERED), "once, when it ends");
            assertNull(health.last().troubleSince());
            assertTrue(metrics.render().contains("citus_registrar_dns_names_unanswered{result=\"timeout\"} 0\n"));
            assertTrue(logs.text().contains("worker7.railway.internal"), "the names are in the first line");
        }
    }
}
