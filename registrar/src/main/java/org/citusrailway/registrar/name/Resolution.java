package org.citusrailway.registrar.name;

import java.net.InetAddress;
import java.util.List;

/**
 * The outcome of looking up one name: its A and AAAA addresses, or why there are none. After a lookup that timed out
 * or failed, the addresses are the last ones the name had (stale), or none if it never resolved.
 */
public record Resolution(String name, List<InetAddress> addresses, String problem) {
    public static final String NOT_FOUND = "not-found";
    public static final String TIMEOUT = "dns-timeout";
    public static final String FAILED = "dns-failed";

    public static Resolution found(String name, List<InetAddress> addresses) {
        return new Resolution(name, addresses, null);
    }

    public static Resolution failed(String name, String problem) {
        return new Resolution(name, List.of(), problem);
    }

    /** There are addresses to try: fresh ones, or the last known ones after a lookup that got no answer. */
    public boolean resolved() {
        return !addresses.isEmpty();
    }

    /** This pass's lookup answered with addresses. */
    public boolean fresh() {
        return problem == null && !addresses.isEmpty();
    }

    /** The lookup got no usable answer (timed out, or the server failed), as opposed to "no such name". */
    public boolean unanswered() {
        return TIMEOUT.equals(problem) || FAILED.equals(problem);
    }
}
