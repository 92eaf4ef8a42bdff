package org.citusrailway.registrar.probe;

import java.io.IOException;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.citusrailway.registrar.row.Failover;
import org.citusrailway.registrar.row.PatroniMember;

/**
 * Reads a member's Patroni REST API (port 8008): GET /patroni for its role, state, timeline and WAL position, GET
 * /history for its group's failovers. The answers are small JSON documents of a known shape; only the few fields the
 * registrar shows are picked out. Read-only: the registrar never asks Patroni to act.
 */
public final class PatroniRest {
    private static final Pattern ROLE = Pattern.compile("\"role\"\\s*:\\s*\"([^\"]+)\"");
    private static final Pattern STATE = Pattern.compile("\"state\"\\s*:\\s*\"([^\"]+)\"");
    private static final Pattern REPLICATION_STATE = Pattern.compile("\"replication_state\"\\s*:\\s*\"([^\"]+)\"");
    private static final Pattern TIMELINE = Pattern.compile("\"timeline\"\\s*:\\s*(\\d+)");
    private static final Pattern LOCATION = Pattern.compile("\"location\"\\s*:\\s*(\\d+)");
    private static final Pattern REPLAYED = Pattern.compile("\"replayed_location\"\\s*:\\s*(\\d+)");
    /** One history entry: [timeline, lsn, "reason", "timestamp", "new leader"]. */
    private static final Pattern HISTORY_ENTRY = Pattern.compile(
            "\\[\\s*(\\d+)\\s*,\\s*\\d+\\s*,\\s*\"(?:[^\"\\\\]|\\\\.)*\"\\s*,\\s*\"([^\"]*)\"\\s*(?:,\\s*\"([^\"]*)\"\\s*)?\\]");

    private final int port;
    private final Duration timeout;

    public PatroniRest(int port, Duration timeout) {
        this.port = port;
        this.timeout = timeout;
    }

    public PatroniMember member(String host) {
        String body;
        try {
            body = get(host, "/patroni");
        } catch (IOException e) {
            return PatroniMember.unreachable(host, "Patroni REST API on " + host + ":" + port + ": " + e.getMessage());
        }
        String role = first(ROLE, body);
        String state = first(REPLICATION_STATE, body);
        if (state == null) {
            state = first(STATE, body);
        }
        long position = number(REPLAYED, body);
        if (position == 0) {
            position = number(LOCATION, body);
        }
        return new PatroniMember(host, role, state, number(TIMELINE, body), position, null);
    }

    /** The group's last failover or switchover, or null when it never had one (or the primary did not answer). */
    public Failover lastFailover(String primaryHost) {
        try {
            Matcher m = HISTORY_ENTRY.matcher(get(primaryHost, "/history"));
            Failover last = null;
            while (m.find()) {
                // An entry is the timeline that ended; the promotion began the next one.
                last = new Failover(Long.parseLong(m.group(1)) + 1, m.group(2), m.group(3));
            }
            return last;
        } catch (IOException e) {
            return null;
        }
    }

    private String get(String host, String path) throws IOException {
        HttpURLConnection connection = (HttpURLConnection) URI.create("http://" + host + ":" + port + path).toURL()
                .openConnection();
        connection.setConnectTimeout((int) timeout.toMillis());
        connection.setReadTimeout((int) timeout.toMillis());
        try {
            int code = connection.getResponseCode();
            // /patroni answers 503 while PostgreSQL is not running, with the same body.
            try (InputStream in = code < 400 ? connection.getInputStream() : connection.getErrorStream()) {
                if (in == null) {
                    throw new IOException("HTTP " + code);
                }
                return new String(in.readNBytes(1 << 20), StandardCharsets.UTF_8);
            }
        } finally {
            connection.disconnect();
        }
    }

    private static String first(Pattern pattern, String body) {
        Matcher m = pattern.matcher(body);
        return m.find() ? m.group(1) : null;
    }

    private static long number(Pattern pattern, String body) {
        String value = first(pattern, body);
        return value == null ? 0 : Long.parseLong(value);
    }
}
