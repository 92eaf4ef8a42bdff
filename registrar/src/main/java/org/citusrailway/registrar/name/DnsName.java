package org.citusrailway.registrar.name;

import java.util.Locale;

/** Host name syntax (RFC 1123 labels), checked before any lookup so typos fail at start-up, not silently later. */
public final class DnsName {
    private static final int MAX_LENGTH = 253;
    private static final int MAX_LABEL = 63;

    private DnsName() {
    }

    /** Why the name is not a valid DNS host name, or null when it is. */
    public static String problem(String name) {
        if (name.isEmpty()) {
            return "empty host name";
        }
        String body = name.endsWith(".") ? name.substring(0, name.length() - 1) : name;
        if (body.length() > MAX_LENGTH) {
            return "host name longer than " + MAX_LENGTH + " characters";
        }
        for (String label : body.split("\\.", -1)) {
            if (label.isEmpty()) {
                return "\"" + name + "\" has an empty label";
            }
            if (label.length() > MAX_LABEL) {
                return "\"" + name + "\" has a label longer than " + MAX_LABEL + " characters";
            }
            if (label.startsWith("-") || label.endsWith("-")) {
                return "\"" + name + "\" has a label starting or ending with '-'";
            }
            for (int i = 0; i < label.length(); i++) {
                char c = label.charAt(i);
                boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
                if (!ok) {
                    return "\"" + name + "\" contains '" + c + "', which is not allowed in a host name";
                }
            }
        }
        return null;
    }

    /** DNS is case-insensitive; one spelling keeps pg_dist_node comparisons exact. */
    public static String normalize(String name) {
        String lower = name.toLowerCase(Locale.ROOT);
        return lower.endsWith(".") ? lower.substring(0, lower.length() - 1) : lower;
    }
}
