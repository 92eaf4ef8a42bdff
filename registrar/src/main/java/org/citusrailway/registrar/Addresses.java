package org.citusrailway.registrar;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;

/** Addresses as text, without the JDK's "name/" prefix. */
final class Addresses {
    private Addresses() {
    }

    static List<String> list(List<InetAddress> addresses) {
        List<String> out = new ArrayList<>(addresses.size());
        for (InetAddress a : addresses) {
            out.add(a.getHostAddress());
        }
        return out;
    }

    static String text(List<InetAddress> addresses) {
        return String.join(",", list(addresses));
    }
}
