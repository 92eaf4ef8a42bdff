package org.citusrailway.registrar;

import org.citusrailway.testkit.PostgresBinaries;
import org.junit.jupiter.api.Assumptions;

/** The Citus scenarios against Citus installed on this machine, as local processes. */
class LocalCitusScenariosTest extends CitusScenarios {

    @Override
    CitusCluster startCluster() {
        PostgresBinaries binaries = PostgresBinaries.withCitus().orElse(null);
        Assumptions.assumeTrue(binaries != null, PostgresBinaries.citusMissingReason());
        return new LocalCitusCluster(binaries);
    }
}
