package org.citusrailway.template;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** The docs stay true to the code: commands, variables, messages, links. */
class DocsTest {
    private static final List<String> DOCS = List.of("README.md", "SCALING.md", "TROUBLESHOOTING.md",
            "QUICK_REFERENCE.md", "docs/architecture.md", "docs/operations.md", "docs/railway-template.md",
            "docs/benchmark.md");

    @Test
    void theReadmeGivesTheTwoSetUpCommandsAndCiRunsTheTestOne() {
        String readme = ProjectFiles.read("README.md");
        assertTrue(readme.contains("\ncp .env.example .env && docker compose up --build\n"),
                "README must give the command that runs the cluster locally");
        assertTrue(readme.contains("\n./mvnw -B verify\n"), "README must give the command that runs all tests");
        List<String> ciCommands = ProjectFiles.read(".ci/run").lines()
                .filter(line -> !line.isBlank() && !line.startsWith("#") && !line.startsWith(" ")
                        && !line.startsWith("}") && !line.contains("()"))
                .toList();
        assertEquals("./mvnw -B verify", ciCommands.get(ciCommands.size() - 1),
                ".ci/run must end by running the README's test command");
    }

    @Test
    void everyRelativeLinkPointsAtAFileThatExists() {
        Pattern link = Pattern.compile("\\]\\(([^)#:]+)(#[^)]*)?\\)");
        Set<String> broken = new TreeSet<>();
        for (String doc : DOCS) {
            Path base = ProjectFiles.resolve(doc).getParent();
            Matcher m = link.matcher(ProjectFiles.read(doc));
            while (m.find()) {
                if (!Files.exists(base.resolve(m.group(1)))) {
                    broken.add(doc + " -> " + m.group(1));
                }
            }
        }
        assertTrue(broken.isEmpty(), "broken links: " + broken);
    }

    @Test
    void everyMessageIdHasATroubleshootingEntry() {
        String troubleshooting = ProjectFiles.read("TROUBLESHOOTING.md");
        Set<String> missing = new TreeSet<>();
        for (String id : MessageIds.all()) {
            if (!troubleshooting.contains("`" + id + "`")) {
                missing.add(id);
            }
        }
        assertTrue(MessageIds.all().size() > 30, "too few message ids found: the extraction is broken");
        assertTrue(missing.isEmpty(), "TROUBLESHOOTING.md lacks these message ids: " + missing);
    }

    /** The reverse of the test above: an entry whose id nothing prints any more is drift. */
    @Test
    void everyMessageIdEntryInTroubleshootingIsPrintedByTheCode() {
        Matcher heading = Pattern.compile("(?m)^### `([a-z][a-z0-9]*(?:-[a-z0-9]+)+)`\\s*$")
                .matcher(ProjectFiles.read("TROUBLESHOOTING.md"));
        Set<String> entries = new TreeSet<>();
        while (heading.find()) {
            entries.add(heading.group(1));
        }
        Set<String> unknown = new TreeSet<>(entries);
        unknown.removeAll(MessageIds.all());
        assertTrue(entries.size() > 30, "too few entries found: the extraction is broken");
        assertTrue(unknown.isEmpty(), "TROUBLESHOOTING.md has entries for ids nothing prints: " + unknown);
    }

    @Test
    void everyLinkToASectionNamesAHeadingThatExists() {
        Pattern link = Pattern.compile("\\]\\(([^)#:]*)#([^)]+)\\)");
        Set<String> broken = new TreeSet<>();
        for (String doc : DOCS) {
            Path base = ProjectFiles.resolve(doc).getParent();
            Matcher m = link.matcher(ProjectFiles.read(doc));
            while (m.find()) {
                Path target = m.group(1).isEmpty() ? ProjectFiles.resolve(doc) : base.resolve(m.group(1)).normalize();
                if (Files.isRegularFile(target) && target.toString().endsWith(".md")
                        && !anchors(target).contains(m.group(2))) {
                    broken.add(doc + " -> " + m.group(1) + "#" + m.group(2));
                }
            }
        }
        assertTrue(broken.isEmpty(), "links to sections that do not exist: " + broken);
    }

    /** GitHub's anchors: the heading in lower case, without punctuation, spaces as hyphens. */
    private static Set<String> anchors(Path markdown) {
        Set<String> anchors = new TreeSet<>();
        try {
            boolean inCode = false;
            for (String line : Files.readAllLines(markdown)) {
                if (line.startsWith("```")) {
                    inCode = !inCode;
                } else if (!inCode && line.matches("#{1,6} .*")) {
                    anchors.add(line.replaceFirst("^#+ ", "").strip().toLowerCase(java.util.Locale.ROOT)
                            .replaceAll("[^\\p{L}\\p{N} _-]", "").replace(' ', '-'));
                }
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return anchors;
    }

    @Test
    void theTemplateDocumentListsExactlyTheVariablesTheCodeReads() throws IOException {
        Set<String> listed = new TreeSet<>();
        Matcher m = Pattern.compile("`([A-Z][A-Z0-9_]{2,})`").matcher(ProjectFiles.read("docs/railway-template.md"));
        while (m.find()) {
            listed.add(m.group(1));
        }
        Set<String> read = Variables.readByTheCode();
        Set<String> unlisted = new TreeSet<>(read);
        unlisted.removeAll(listed);
        assertTrue(unlisted.isEmpty(), "read by the code but missing from docs/railway-template.md: " + unlisted);

        Set<String> unread = new TreeSet<>(listed);
        unread.removeAll(read);
        unread.removeIf(Variables::isRailwayOrPostgresConvention);
        assertTrue(unread.isEmpty(), "listed in docs/railway-template.md but read by nothing: " + unread);
    }

    @Test
    void everyShellCommandInTheDocsNamesAScriptThatExists() throws IOException {
        Pattern script = Pattern.compile("(?<![\\w/.-])((?:scripts|node|\\.ci)/[\\w./-]+)");
        Set<String> missing = new TreeSet<>();
        for (String doc : DOCS) {
            Matcher m = script.matcher(ProjectFiles.read(doc));
            while (m.find()) {
                String path = m.group(1).replaceAll("[.)]+$", "");
                if (!Files.exists(ProjectFiles.resolve(path))) {
                    missing.add(doc + " -> " + path);
                }
            }
        }
        assertTrue(missing.isEmpty(), "docs name files that do not exist: " + missing);
    }

    static Stream<Path> files(String directory, String suffix) throws IOException {
        Path dir = ProjectFiles.resolve(directory);
        if (!Files.isDirectory(dir)) {
            return Stream.empty();
        }
        return Files.walk(dir).filter(Files::isRegularFile).filter(p -> p.toString().endsWith(suffix));
    }
}
