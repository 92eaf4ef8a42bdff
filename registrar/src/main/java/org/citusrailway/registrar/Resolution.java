package org.citusrailway.registrar;

import java.net.InetAddress;
import java.util.List;

/** The outcome of looking up one name: its A and AAAA addresses, or why there are none. */
record Resolution(String name, List<InetAddress> addresses, String problem) {
    static final String NOT_FOUND = "not-found";
    static final String TIMEOUT = "dns-timeout";

    static Resolution found(String name, List<InetAddress> addresses) {
        return new Resolution(name, addresses, null);
    }

    static Resolution failed(String name, String problem) {
        return new Resolution(name, List.of(), problem);
    }

    boolean resolved() {
        return problem == null && !addresses.isEmpty();
    }
}
