package org.citusrailway.registrar.discovery;

import java.security.Security;

/**
 * The JVM caches lookups (30 s positive, 10 s negative); a worker whose name appears or changes would wait that long.
 * The registrar resolves on its own schedule, so the JVM cache is turned off. This must run before the first lookup:
 * InetAddress reads these properties once.
 */
public final class DnsCachePolicy {
    private DnsCachePolicy() {
    }

    public static void disableJvmCaching() {
        Security.setProperty("networkaddress.cache.ttl", "0");
        Security.setProperty("networkaddress.cache.negative.ttl", "0");
    }
}
