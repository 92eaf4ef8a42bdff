package org.citusrailway.template.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.citusrailway.testkit.node.NodeUnderTest;
import org.citusrailway.testkit.node.NodeUnderTest.Result;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Static checks of the node scripts and of the two Dockerfiles (Docker itself is not available here). */
class NodeImageFilesTest {
    private static final Path ROOT = NodeUnderTest.PROJECT_ROOT;
    private static final Pattern MESSAGE_CALL = Pattern.compile("^\\s*(fail\\s+\\d+|warn)\\s+'\\[([^\\]]*)\\]'");
    private static final Pattern KEBAB = Pattern.compile("[a-z0-9]+(-[a-z0-9]+)*");

    private static List<Path> scripts() throws IOException {
        List<Path> scripts = new ArrayList<>();
        try (Stream<Path> files = Files.walk(ROOT.resolve("node"))) {
            files.filter(p -> p.toString().endsWith(".sh")).sorted().forEach(scripts::add);
        }
        scripts.add(ROOT.resolve("testkit/src/main/resources/node/docker-entrypoint-stand-in.sh"));
        scripts.add(ROOT.resolve("registrar/aot-training.sh"));
        return scripts;
    }

    @Test
    void everyScriptIsShellcheckClean() throws IOException {
        List<String> command = new ArrayList<>(List.of("shellcheck", "--external-sources", "--source-path=SCRIPTDIR"));
        scripts().forEach(p -> command.add(p.toString()));
        Result result;
        try {
            result = NodeUnderTest.run(command, Map.of());
        } catch (RuntimeException e) {
            fail("shellcheck must be installed (apt-get install shellcheck): " + e.getMessage());
            return;
        }
        assertEquals(0, result.exitCode(), result.stdout() + result.stderr());
    }

    @Test
    void everyErrorAndWarningCarriesItsOwnKebabCaseId() throws IOException {
        Set<String> ids = new HashSet<>();
        int calls = 0;
        for (Path script : scripts()) {
            for (String line : Files.readAllLines(script)) {
                if (line.matches("^\\s*(fail|warn)\\s.*")) {
                    Matcher m = MESSAGE_CALL.matcher(line);
                    assertTrue(m.find(), script + ": message without a literal '[id]': " + line);
                    assertTrue(KEBAB.matcher(m.group(2)).matches(), "not kebab-case: " + m.group(2));
                    assertTrue(ids.add(m.group(2)), "id used twice: " + m.group(2));
                    calls++;
                }
            }
        }
        assertTrue(calls >= 10, "found only " + calls + " message calls");
    }

    @ParameterizedTest
    @ValueSource(strings = {"coordinator", "worker"})
    void dockerfileIsPinnedCopiesFromTheRepositoryRootAndUsesExecForm(String role) throws Exception {
        List<String> instructions = instructions(ROOT.resolve(role + "/Dockerfile"));
        List<String> from = instructions.stream().filter(i -> i.startsWith("FROM ")).toList();
        assertEquals(List.of("FROM citusdata/citus:13.2.0"), from);
        assertTrue(instructions.contains("ENV CITUS_NODE_ROLE=" + role + " PGDATA=/var/lib/postgresql/data/pgdata"),
                instructions.toString());
        // Railway sends SIGTERM whatever the image says; the entrypoint turns it into a fast shutdown.
        assertFalse(instructions.stream().anyMatch(i -> i.startsWith("STOPSIGNAL")), instructions.toString());

        Set<String> copiedScripts = new HashSet<>();
        for (String copy : instructions.stream().filter(i -> i.startsWith("COPY ")).toList()) {
            String[] words = copy.split("\\s+");
            assertFalse(words[1].startsWith("--"), "no COPY options expected: " + copy);
            String destination = words[words.length - 1];
            for (int i = 1; i < words.length - 1; i++) {
                List<Path> sources = expand(words[i]);
                assertFalse(sources.isEmpty(), "COPY source missing relative to the repository root: " + words[i]);
                for (Path source : sources) {
                    if (source.toString().endsWith(".sh")) {
                        copiedScripts.add(destination + source.getFileName());
                    }
                }
            }
        }
        String entrypoint = single(instructions, "ENTRYPOINT ");
        assertEquals("ENTRYPOINT [\"/opt/citus-node/entrypoint.sh\"]", entrypoint);
        assertEquals("CMD [\"postgres\"]", single(instructions, "CMD "));
        String healthcheck = single(instructions, "HEALTHCHECK ");
        Matcher exec = Pattern.compile("CMD \\[\"([^\"]+)\"\\]$").matcher(healthcheck);
        assertTrue(exec.find(), "HEALTHCHECK must use exec form: " + healthcheck);
        assertTrue(copiedScripts.contains(exec.group(1)), exec.group(1) + " is not copied: " + copiedScripts);
        assertTrue(copiedScripts.contains("/opt/citus-node/entrypoint.sh"), copiedScripts.toString());
    }

    /** A COPY source as the builder reads it: a path, or a glob in its last part (node/*.sh). */
    private static List<Path> expand(String source) throws IOException {
        Path path = ROOT.resolve(source);
        if (!source.contains("*")) {
            return Files.exists(path) ? List.of(path) : List.of();
        }
        List<Path> matches = new ArrayList<>();
        try (var entries = Files.newDirectoryStream(path.getParent(), path.getFileName().toString())) {
            entries.forEach(matches::add);
        }
        return matches;
    }

    @Test
    void theTwoDockerfilesDifferOnlyInTheirRole() throws IOException {
        String coordinator = Files.readString(ROOT.resolve("coordinator/Dockerfile"));
        String worker = Files.readString(ROOT.resolve("worker/Dockerfile"));
        assertEquals(coordinator.replace("coordinator", "ROLE"), worker.replace("worker", "ROLE"));
    }

    @Test
    void executedScriptsAreExecutableInGit() {
        Result staged = NodeUnderTest.run(List.of("git", "-C", ROOT.toString(), "ls-files", "-s", "--",
                "node/entrypoint.sh", "node/healthcheck.sh"), Map.of("HOME", "/tmp"));
        List<String> lines = staged.stdout().lines().toList();
        assertEquals(2, lines.size(), "both scripts must be committed: " + staged.stdout() + staged.stderr());
        lines.forEach(line -> assertTrue(line.startsWith("100755 "), "not executable in git: " + line));
        assertTrue(Files.isExecutable(NodeUnderTest.ENTRYPOINT) && Files.isExecutable(NodeUnderTest.HEALTHCHECK));
    }

    private static String single(List<String> instructions, String prefix) {
        List<String> found = instructions.stream().filter(i -> i.startsWith(prefix)).toList();
        assertEquals(1, found.size(), prefix + found);
        return found.get(0);
    }

    /** Instructions with comments dropped and continuation lines joined, whitespace collapsed. */
    private static List<String> instructions(Path dockerfile) throws IOException {
        List<String> instructions = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        for (String line : Files.readAllLines(dockerfile)) {
            if (line.strip().startsWith("#") || line.isBlank()) {
                continue;
            }
            String text = line.strip();
            boolean continued = text.endsWith("\\");
            current.append(continued ? text.substring(0, text.length() - 1) : text).append(' ');
            if (!continued) {
                instructions.add(current.toString().strip().replaceAll("\\s+", " "));
                current.setLength(0);
            }
        }
        return instructions;
    }
}
