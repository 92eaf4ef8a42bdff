package org.citusrailway.registrar;

import static com.tngtech.archunit.library.Architectures.layeredArchitecture;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/**
 * The packages are layers, checked on the compiled classes: values at the bottom, then report, config, the I/O
 * packages, the deciders, and the loop on top; nothing reaches up and no packages import each other in a circle.
 * {@link PackageMapTest} holds docs/architecture.md's map to the same layers.
 */
class LayersTest {
    private static final JavaClasses MAIN = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages(PackageMap.ROOT);

    @Test
    void noPackagesImportEachOtherInACircle() {
        slices().matching(PackageMap.ROOT + ".(*)..").should().beFreeOfCycles().check(MAIN);
    }

    @Test
    void eachLayerUsesOnlyTheLayersBelowIt() {
        var layers = layeredArchitecture().consideringOnlyDependenciesInLayers();
        for (PackageMap.Layer layer : PackageMap.Layer.values()) {
            layers = layers.layer(layer.title()).definedBy(layer.archUnitPackages());
        }
        var rule = layers;
        PackageMap.Layer[] all = PackageMap.Layer.values();
        for (int i = 0; i < all.length - 1; i++) {
            String[] above = new String[all.length - 1 - i];
            for (int j = i + 1; j < all.length; j++) {
                above[j - i - 1] = all[j].title();
            }
            rule = rule.whereLayer(all[i].title()).mayOnlyBeAccessedByLayers(above);
        }
        rule.whereLayer(all[all.length - 1].title()).mayNotBeAccessedByAnyLayer().check(MAIN);
    }
}
