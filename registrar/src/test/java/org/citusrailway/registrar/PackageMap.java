package org.citusrailway.registrar;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The registrar's packages as the code has them: which layer each belongs to, how many classes (source files) it has,
 * and which of the registrar's packages its source files import. {@link LayersTest} checks the layers on the compiled
 * classes; {@link PackageMapTest} holds docs/architecture.md's table to this map.
 */
final class PackageMap {
    static final String ROOT = "org.citusrailway.registrar";
    /** How the root package is written in the table. */
    static final String ROOT_NAME = "(root)";
    private static final Path SOURCES = Path.of("src/main/java/org/citusrailway/registrar");
    private static final Pattern IMPORT = Pattern.compile(
            "(?m)^import (?:static )?org\\.citusrailway\\.registrar\\.(?:([a-z]\\w*)\\.)?[A-Z]");

    /** Bottom to top: a package may import its own layer and the layers below it, never one above. */
    enum Layer {
        VALUES("values", "name", "row", "result", "view", "timing"),
        REPORT("report", "report"),
        CONFIG("config", "config"),
        IO("I/O", "pg", "coordinator", "probe", "discovery"),
        DECIDERS("deciders", "reconcile", "rebalance", "backup"),
        LOOP("loop", ROOT_NAME);

        private final String title;
        private final List<String> packages;

        Layer(String title, String... packages) {
            this.title = title;
            this.packages = List.of(packages);
        }

        String title() {
            return title;
        }

        List<String> packages() {
            return packages;
        }

        String[] archUnitPackages() {
            return packages.stream().map(p -> p.equals(ROOT_NAME) ? ROOT : ROOT + "." + p + "..")
                    .toArray(String[]::new);
        }

        static Layer of(String pkg) {
            return Arrays.stream(values()).filter(l -> l.packages.contains(pkg)).findFirst().orElse(null);
        }
    }

    /** One package: its layer (null: in no layer yet), its classes, the registrar packages it imports. */
    record Entry(String name, Layer layer, int classes, Set<String> imports) {
    }

    private PackageMap() {
    }

    /** Every package with main sources, by name. */
    static Map<String, Entry> read() {
        Map<String, Integer> classes = new TreeMap<>();
        Map<String, Set<String>> imports = new TreeMap<>();
        try (Stream<Path> files = Files.walk(SOURCES)) {
            for (Path file : files.filter(f -> f.toString().endsWith(".java")).toList()) {
                Path dir = SOURCES.relativize(file.getParent());
                String pkg = dir.toString().isEmpty() ? ROOT_NAME : dir.toString().replace('/', '.');
                classes.merge(pkg, 1, Integer::sum);
                Set<String> used = imports.computeIfAbsent(pkg, p -> new TreeSet<>());
                Matcher m = IMPORT.matcher(Files.readString(file));
                while (m.find()) {
                    String target = m.group(1) == null ? ROOT_NAME : m.group(1);
                    if (!target.equals(pkg)) {
                        used.add(target);
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Map<String, Entry> map = new TreeMap<>();
        classes.forEach((pkg, count) -> map.put(pkg, new Entry(pkg, Layer.of(pkg), count, imports.get(pkg))));
        return map;
    }

    /** Imports that reach a layer above the importer's, or a package in no layer, as "from -> to" lines. */
    static List<String> upwardImports(Map<String, Entry> map) {
        List<String> wrong = new ArrayList<>();
        for (Entry entry : map.values()) {
            for (String target : entry.imports()) {
                Layer to = Layer.of(target);
                if (entry.layer() == null || to == null || to.compareTo(entry.layer()) > 0) {
                    wrong.add(entry.name() + " (" + title(entry.layer()) + ") -> " + target + " (" + title(to) + ")");
                }
            }
        }
        return wrong;
    }

    private static String title(Layer layer) {
        return layer == null ? "no layer" : layer.title();
    }
}
