package org.citusrailway.registrar;

import org.junit.jupiter.api.Assumptions;
import org.testcontainers.DockerClientFactory;

/** The Citus scenarios against citusdata/citus:13.2.0 containers, where Docker is available. */
class ContainerCitusScenariosTest extends CitusScenarios {

    @Override
    CitusCluster startCluster() {
        boolean docker;
        try {
            docker = DockerClientFactory.instance().isDockerAvailable();
        } catch (RuntimeException | LinkageError e) {
            docker = false;
        }
        Assumptions.assumeTrue(docker, "Docker is not available here, so the Testcontainers variant of the Citus"
                + " scenarios is skipped (LocalCitusScenariosTest runs the same scenarios against local Citus processes)");
        return new ContainerCitusCluster();
    }
}
