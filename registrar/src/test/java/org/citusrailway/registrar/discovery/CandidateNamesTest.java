package org.citusrailway.registrar.discovery;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Map;
import org.citusrailway.registrar.config.Config;
import org.citusrailway.registrar.name.HostPort;
import org.junit.jupiter.api.Test;

class CandidateNamesTest {

    @Test
    void patternsTimesIndexesInThePrivateDomainThenExplicitHosts() {
        Config config = Config.fromEnvironment(Map.of("POSTGRES_PASSWORD", "x", "WORKER_NAME_PATTERNS",
                "worker{n},citus-worker-{n}", "WORKER_INDEX_MAX", "2", "PRIVATE_DOMAIN", "railway.internal",
                "WORKER_PORT", "5433", "WORKER_HOSTS", "db.example.com,Worker1.Railway.Internal:5433,db.example.com:6000"));
        assertEquals(List.of(
                new HostPort("worker1.railway.internal", 5433),
                new HostPort("worker2.railway.internal", 5433),
                new HostPort("citus-worker-1.railway.internal", 5433),
                new HostPort("citus-worker-2.railway.internal", 5433),
                new HostPort("db.example.com", 5433),
                new HostPort("db.example.com", 6000)), CandidateNames.of(config));
    }

    @Test
    void defaultsGiveEightyNames() {
        Config config = Config.fromEnvironment(Map.of("POSTGRES_PASSWORD", "x"));
        List<HostPort> names = CandidateNames.of(config);
        assertEquals(80, names.size());
        assertEquals(new HostPort("worker1.railway.internal", 5432), names.get(0));
        assertEquals(new HostPort("citus-worker-20.railway.internal", 5432), names.get(79));
    }

    @Test
    void indexMaxZeroLeavesOnlyExplicitHosts() {
        Config config = Config.fromEnvironment(Map.of("POSTGRES_PASSWORD", "x", "WORKER_INDEX_MAX", "0",
                "WORKER_HOSTS", "a,b"));
        assertEquals(List.of(new HostPort("a", 5432), new HostPort("b", 5432)), CandidateNames.of(config));
    }
}
