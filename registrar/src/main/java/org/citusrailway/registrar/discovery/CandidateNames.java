package org.citusrailway.registrar.discovery;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.citusrailway.registrar.config.Config;
import org.citusrailway.registrar.name.DnsName;
import org.citusrailway.registrar.name.HostPort;

/** Every name a worker could have: each pattern with {n} = 1..WORKER_INDEX_MAX in the private domain, then WORKER_HOSTS. */
public final class CandidateNames {
    private CandidateNames() {
    }

    public static List<HostPort> of(Config config) {
        Set<HostPort> names = new LinkedHashSet<>();
        for (String pattern : config.workerNamePatterns()) {
            for (int n = 1; n <= config.workerIndexMax(); n++) {
                String name = pattern.replace("{n}", Integer.toString(n)) + "." + config.privateDomain();
                names.add(new HostPort(DnsName.normalize(name), config.workerPort()));
            }
        }
        names.addAll(config.workerHosts());
        return List.copyOf(names);
    }
}
