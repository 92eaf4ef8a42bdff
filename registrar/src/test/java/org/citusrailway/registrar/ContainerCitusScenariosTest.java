package org.citusrailway.registrar;

import static org.citusrailway.registrar.Clusters.COORDINATOR;
import static org.citusrailway.registrar.Clusters.COORDINATOR_AS_WORKER;
import static org.citusrailway.registrar.Clusters.RETIREE;
import static org.citusrailway.registrar.Clusters.W1;
import static org.citusrailway.registrar.Clusters.W1_ALIAS;
import static org.citusrailway.registrar.Clusters.W2;
import static org.citusrailway.registrar.Clusters.W3;
import static org.citusrailway.registrar.Clusters.WRONG_PASSWORD;

import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.citusrailway.testkit.cluster.ContainerCitusCluster;
import org.citusrailway.testkit.cluster.Endpoint;
import org.junit.jupiter.api.Assumptions;

/**
 * The Citus scenarios against citusdata/citus:13.2.0 containers, where a Docker engine answers and holds the image or
 * can pull it; Testcontainers' Ryuk is used when it can be had, and is not needed (ContainerCitusCluster). Each node
 * is under its key as a Railway private name ({@code worker1.citus.test}); worker 1 has a second one, and the
 * coordinator is listed as a worker under its own.
 */
class ContainerCitusScenariosTest extends CitusScenarios {
    private static final String PASSWORD = "Citus-Container-Secret-3";
    private static final String DOMAIN = "citus.test";

    @Override
    Setup startCluster() {
        // Asked before Testcontainers starts: its own image pulls wait minutes where no registry answers.
        Optional<String> unusable = ContainerCitusCluster.unusableBecause();
        Assumptions.assumeTrue(unusable.isEmpty(), () -> unusable.orElseThrow() + ", so the Testcontainers variant of"
                + " the Citus scenarios is skipped (LocalCitusScenariosTest runs the same scenarios against local Citus"
                + " processes)");
        ContainerCitusCluster cluster = ContainerCitusCluster.builder(PASSWORD, DOMAIN)
                .worker(W1).worker(W2).worker(WRONG_PASSWORD, "another-password").stoppedWorker(W3)
                .stoppedWorker(RETIREE).name(W1_ALIAS, W1, "worker1-alias").name(COORDINATOR_AS_WORKER, COORDINATOR,
                        "coordinator")
                .start();
        Map<String, String> env = new HashMap<>();
        env.put("COORDINATOR_HOST", cluster.endpoint(COORDINATOR).host());
        env.put("POSTGRES_PASSWORD", PASSWORD);
        env.put("PRIVATE_DOMAIN", DOMAIN);
        env.put("WORKER_NAME_PATTERNS", "worker{n}");
        env.put("WORKER_INDEX_MAX", "5");
        env.put("WORKER_HOSTS", String.join(",", Stream.of(WRONG_PASSWORD, W1_ALIAS, RETIREE, COORDINATOR_AS_WORKER)
                .map(cluster::endpoint).map(Endpoint::toString).toList()));
        return new Setup(cluster, env);
    }
}
