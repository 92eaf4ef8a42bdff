package org.citusrailway.registrar.name;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;

/** Addresses as text, without the JDK's "name/" prefix. */
public final class Addresses {
    private Addresses() {
    }

    public static List<String> list(List<InetAddress> addresses) {
        List<String> out = new ArrayList<>(addresses.size());
        for (InetAddress a : addresses) {
            out.add(a.getHostAddress());
        }
        return out;
    }

    public static String text(List<InetAddress> addresses) {
        return String.join(",", list(addresses));
    }
}
