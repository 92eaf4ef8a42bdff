package org.citusrailway.registrar;

import org.citusrailway.testkit.cluster.LocalCitusCluster;

/** The Citus scenarios against Citus installed on this machine, as local processes. */
class LocalCitusScenariosTest extends CitusScenarios {

    @Override
    Setup startCluster() {
        LocalCitusCluster cluster = Clusters.scenarios();
        return new Setup(cluster, Clusters.scenariosEnvironment(cluster));
    }
}
