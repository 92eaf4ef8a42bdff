package org.citusrailway.registrar.config;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.citusrailway.registrar.name.DnsName;
import org.citusrailway.registrar.name.HostPort;

/** Typed reads of environment variables; every failure names the variable (never echoing a secret). */
final class EnvReader {
    private static final Pattern DURATION = Pattern.compile("(-?)(\\d{1,9})(ms|s|m|h|d)?");

    private final Map<String, String> env;

    EnvReader(Map<String, String> env) {
        this.env = env;
    }

    /** The trimmed value, or the default when unset or blank (Railway keeps emptied variables as ""). */
    String string(String name, String fallback) {
        String value = env.get(name);
        return value == null || value.isBlank() ? fallback : value.trim();
    }

    String required(String name) {
        String value = env.get(name);
        if (value == null || value.isEmpty()) {
            throw new ConfigException(name, "is required but not set");
        }
        return value;
    }

    int integer(String name, int fallback, int min, int max) {
        String raw = string(name, null);
        if (raw == null) {
            return fallback;
        }
        int value;
        try {
            value = Integer.parseInt(raw);
        } catch (NumberFormatException e) {
            throw new ConfigException(name, "\"" + raw + "\" is not a whole number");
        }
        if (value < min || value > max) {
            throw new ConfigException(name, value + " is out of range (" + min + ".." + max + ")");
        }
        return value;
    }

    /** Exactly {@code true} or {@code false} (any case): "1", "yes" or "off" are more likely typos than intent. */
    boolean bool(String name, boolean fallback) {
        String raw = string(name, null);
        if (raw == null) {
            return fallback;
        }
        if (raw.equalsIgnoreCase("true")) {
            return true;
        }
        if (raw.equalsIgnoreCase("false")) {
            return false;
        }
        throw new ConfigException(name, "\"" + raw + "\" is not true or false");
    }

    int port(String name, int fallback) {
        return integer(name, fallback, 1, 65535);
    }

    /** {@code 1500ms}, {@code 2s}, {@code 1m}, {@code 1h}, {@code 7d}; a bare number means seconds. */
    Duration duration(String name, Duration fallback, Duration min) {
        String raw = string(name, null);
        if (raw == null) {
            return fallback;
        }
        Matcher m = DURATION.matcher(raw);
        if (!m.matches()) {
            throw new ConfigException(name, "\"" + raw + "\" is not a duration (examples: 500ms, 2s, 1m, 1h, 7d)");
        }
        if (!m.group(1).isEmpty()) {
            throw new ConfigException(name, "\"" + raw + "\" is negative");
        }
        long amount = Long.parseLong(m.group(2));
        String unit = m.group(3) == null ? "s" : m.group(3);
        Duration value = switch (unit) {
            case "ms" -> Duration.ofMillis(amount);
            case "m" -> Duration.ofMinutes(amount);
            case "h" -> Duration.ofHours(amount);
            case "d" -> Duration.ofDays(amount);
            default -> Duration.ofSeconds(amount);
        };
        if (value.compareTo(min) < 0) {
            throw new ConfigException(name, "\"" + raw + "\" is too short (minimum " + min.toMillis() + "ms)");
        }
        return value;
    }

    String hostName(String name, String fallback) {
        String value = string(name, fallback);
        String problem = DnsName.problem(value);
        if (problem != null) {
            throw new ConfigException(name, problem);
        }
        return DnsName.normalize(value);
    }

    /** Comma-separated, blanks skipped. */
    List<String> list(String name, String fallback) {
        List<String> items = new ArrayList<>();
        for (String item : string(name, fallback == null ? "" : fallback).split(",")) {
            if (!item.isBlank()) {
                items.add(item.trim());
            }
        }
        return items;
    }

    /** {@code host} or {@code host:port} entries. */
    List<HostPort> hosts(String name, int defaultPort) {
        List<HostPort> hosts = new ArrayList<>();
        for (String entry : list(name, "")) {
            int colon = entry.lastIndexOf(':');
            String host = colon < 0 ? entry : entry.substring(0, colon);
            int port = defaultPort;
            if (colon >= 0) {
                String rawPort = entry.substring(colon + 1);
                try {
                    port = Integer.parseInt(rawPort);
                } catch (NumberFormatException e) {
                    throw new ConfigException(name, "\"" + entry + "\" has a port that is not a number");
                }
                if (port < 1 || port > 65535) {
                    throw new ConfigException(name, "\"" + entry + "\" has a port out of range (1..65535)");
                }
            }
            String problem = DnsName.problem(host);
            if (problem != null) {
                throw new ConfigException(name, problem);
            }
            hosts.add(new HostPort(DnsName.normalize(host), port));
        }
        return hosts;
    }

    <E extends Enum<E>> E choice(String name, Class<E> type, E fallback) {
        return choice(name, type, fallback, option -> option.name().replace('_', '-').toLowerCase(Locale.ROOT));
    }

    /** One of the enum's values, written as {@code spelling} gives it; '-' and '_' are accepted alike. */
    <E extends Enum<E>> E choice(String name, Class<E> type, E fallback, Function<E, String> spelling) {
        String raw = string(name, null);
        if (raw == null) {
            return fallback;
        }
        String wanted = raw.replace('-', '_');
        for (E option : type.getEnumConstants()) {
            if (option.name().equalsIgnoreCase(wanted)) {
                return option;
            }
        }
        List<String> options = new ArrayList<>();
        for (E option : type.getEnumConstants()) {
            options.add(spelling.apply(option));
        }
        throw new ConfigException(name, "\"" + raw + "\" is not one of " + String.join(", ", options));
    }
}
