package org.citusrailway.registrar;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * docs/architecture.md's package map is the code's: one row per package, top layer first, with the layer, the
 * packages its sources import and its class count taken from the sources. Only the "what" column is written by hand.
 * When the code moves, the failure prints the table to paste.
 */
class PackageMapTest {
    private static final Path DOC = Path.of("../docs/architecture.md");
    private static final String HEADER = "| layer | package | what | imports | classes |\n| --- | --- | --- | --- | --- |\n";

    @Test
    void theSourcesImportNoLayerAbove() {
        List<String> wrong = PackageMap.upwardImports(PackageMap.read());
        assertTrue(wrong.isEmpty(), "imports that reach up a layer, or from/to a package in no layer: " + wrong);
    }

    @Test
    void theArchitectureDocumentsPackageMapIsTheCodes() throws IOException {
        String doc = Files.readString(DOC);
        int start = doc.indexOf(HEADER);
        assertTrue(start >= 0, "docs/architecture.md has no package map starting with:\n" + HEADER);
        int end = doc.indexOf("\n\n", start);
        String table = doc.substring(start, end < 0 ? doc.length() : end + 1);
        Map<String, String> what = new HashMap<>();
        for (String row : table.lines().skip(2).toList()) {
            String[] cells = row.split(" \\| ", -1);
            if (cells.length >= 3) {
                what.put(cells[1].replace("`", "").trim(), cells[2].trim());
            }
        }
        String expected = render(what);
        Files.writeString(Path.of("target/package-map.md"), expected);
        assertEquals(expected, table, "docs/architecture.md's package map differs from the code; the code's table"
                + " (the 'what' column kept from the doc) is the expected value, also in registrar/target/package-map.md");
    }

    /** The table as the code has it, top layer first. */
    static String render(Map<String, String> what) {
        Map<String, PackageMap.Entry> map = PackageMap.read();
        StringBuilder out = new StringBuilder(HEADER);
        List<PackageMap.Layer> layers = new ArrayList<>(List.of(PackageMap.Layer.values()));
        java.util.Collections.reverse(layers);
        for (PackageMap.Layer layer : layers) {
            for (String pkg : layer.packages()) {
                PackageMap.Entry entry = map.get(pkg);
                if (entry == null) {
                    continue;
                }
                String imports = entry.imports().isEmpty() ? "none"
                        : entry.imports().stream().map(p -> "`" + p + "`").collect(Collectors.joining(", "));
                out.append("| ").append(layer.title()).append(" | `").append(pkg).append("` | ")
                        .append(what.getOrDefault(pkg, "?")).append(" | ").append(imports).append(" | ")
                        .append(entry.classes()).append(" |\n");
            }
        }
        map.values().stream().filter(e -> e.layer() == null).forEach(e -> out.append("| ? | `").append(e.name())
                .append("` | ").append(what.getOrDefault(e.name(), "?")).append(" | ? | ").append(e.classes())
                .append(" |\n"));
        return out.toString();
    }
}
