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
            "docs/benchmark.md", "docs/high-availability.md");

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

    /**
     * The reverse of the message-id tests above, for every doc: a kebab-case word written alone in backticks
     * ({@code `worker-lost`}, or {@code `[volume-from-another-service]`} as a node prints it) is a cited message id
     * and must be one the code prints. The docs also show a few kebab-case words that are not messages (status values
     * such as {@code not-found}, marker files such as {@code citus-node-identity}); those pass only where the shipped
     * sources spell the word out as a literal (quoted, or the last part of a path), so an invented word always fails.
     */
    @Test
    void everyMessageIdADocCitesIsPrintedByTheCode() throws IOException {
        Pattern cited = Pattern.compile("`\\[?([a-z][a-z0-9]*(?:-[a-z0-9]+)+)\\]?`");
        Set<String> printed = MessageIds.all();
        String sources = shippedSources();
        Set<String> unknown = new TreeSet<>();
        int count = 0;
        for (String doc : DOCS) {
            Matcher m = cited.matcher(ProjectFiles.read(doc));
            while (m.find()) {
                count++;
                String word = m.group(1);
                if (!printed.contains(word) && !Pattern.compile("[\"'/]" + Pattern.quote(word) + "[\"'\\\\\\s]")
                        .matcher(sources).find()) {
                    unknown.add(doc + " -> " + word);
                }
            }
        }
        assertTrue(count > 100, "too few cited ids found: the extraction is broken");
        assertTrue(unknown.isEmpty(), "docs cite message ids nothing prints: " + unknown);
    }

    /**
     * A doc cites a repository file when a backticked span, outside fenced code, is a path whose first part is an
     * entry of the repository's root ({@code `node/lib/restore.sh`}, {@code `registrar/Dockerfile`},
     * {@code `docker-compose.yml`}), except what a build makes (a path through a {@code target/} directory);
     * relative links are checked above. Each must exist, and none may point into the
     * registrar's Java sources, whose files move as the code is restructured: describe the behaviour instead.
     */
    @Test
    void everyRepositoryFileADocCitesExists() throws IOException {
        Set<String> roots = new TreeSet<>();
        try (Stream<Path> entries = Files.list(ProjectFiles.root())) {
            entries.map(p -> p.getFileName().toString()).filter(name -> !name.equals(".git")).forEach(roots::add);
        }
        Pattern span = Pattern.compile("`([\\w.-]+(?:/[\\w.-]+)*/?)`");
        Pattern link = Pattern.compile("\\]\\(([^)#:]+)(?:#[^)]*)?\\)");
        Set<String> missing = new TreeSet<>();
        Set<String> javaSources = new TreeSet<>();
        int count = 0;
        for (String doc : DOCS) {
            String text = ProjectFiles.read(doc).replaceAll("(?ms)^```.*?^```", "");
            Matcher m = span.matcher(text);
            while (m.find()) {
                String path = m.group(1);
                if (roots.contains(path.split("/")[0]) && !path.contains("/target/")) {
                    count++;
                    if (!Files.exists(ProjectFiles.resolve(path))) {
                        missing.add(doc + " -> " + path);
                    }
                    if (path.startsWith("registrar/src/main/java")) {
                        javaSources.add(doc + " -> " + path);
                    }
                }
            }
            Path base = ProjectFiles.resolve(doc).getParent();
            Matcher l = link.matcher(text);
            while (l.find()) {
                String target = ProjectFiles.root().relativize(base.resolve(l.group(1)).normalize()).toString();
                if (target.startsWith("registrar/src/main/java")) {
                    javaSources.add(doc + " -> " + l.group(1));
                }
            }
        }
        assertTrue(count > 10, "too few cited files found: the extraction is broken");
        assertTrue(missing.isEmpty(), "docs cite files that do not exist: " + missing);
        assertTrue(javaSources.isEmpty(), "docs cite registrar Java files, which move: " + javaSources);
    }

    /** The text of what the project ships: the registrar's and the benchmark's main sources, the node scripts. */
    private static String shippedSources() throws IOException {
        StringBuilder text = new StringBuilder();
        for (String directory : List.of("registrar/src/main", "benchmark/src/main", "node")) {
            try (Stream<Path> files = files(directory, "")) {
                for (Path file : files.sorted().toList()) {
                    text.append(Files.readString(file)).append('\n');
                }
            }
        }
        return text.toString();
    }

    static Stream<Path> files(String directory, String suffix) throws IOException {
        Path dir = ProjectFiles.resolve(directory);
        if (!Files.isDirectory(dir)) {
            return Stream.empty();
        }
        return Files.walk(dir).filter(Files::isRegularFile).filter(p -> p.toString().endsWith(suffix));
    }
}
