package org.citusrailway.registrar;

import java.util.List;
import java.util.Optional;
import org.citusrailway.testkit.DockerEngine;
import org.junit.jupiter.api.Assumptions;
import org.testcontainers.utility.TestcontainersConfiguration;

/** The Citus scenarios against citusdata/citus:13.2.0 containers, where Docker and the images are available. */
class ContainerCitusScenariosTest extends CitusScenarios {

    @Override
    CitusCluster startCluster() {
        // Asked before Testcontainers starts: its own start-up checks pull images and wait minutes without a registry.
        Optional<String> unusable = DockerEngine.unusableBecause(List.of(
                ContainerCitusCluster.IMAGE.asCanonicalNameString(), TestcontainersConfiguration.getInstance().getRyukImage(),
                TestcontainersConfiguration.getInstance().getTinyImage()));
        Assumptions.assumeTrue(unusable.isEmpty(), () -> unusable.orElseThrow() + ", so the Testcontainers variant of"
                + " the Citus scenarios is skipped (LocalCitusScenariosTest runs the same scenarios against local Citus"
                + " processes)");
        return new ContainerCitusCluster();
    }
}
