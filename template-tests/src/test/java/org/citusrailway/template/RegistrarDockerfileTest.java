package org.citusrailway.template;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * registrar/Dockerfile cannot be built here (no Docker engine), so check what a build would trip over: its COPY
 * sources exist in the build context Railway uses (the repository root), Maven finds every module the root pom
 * lists, base images are pinned, the entrypoint is in exec form, and the JVM options file the AOT cache depends on
 * is the one every step uses.
 */
class RegistrarDockerfileTest {
    private static final List<String> INSTRUCTIONS = instructions();

    @Test
    void everyCopySourceExistsInTheRepositoryRoot() {
        for (String copy : INSTRUCTIONS.stream().filter(i -> i.startsWith("COPY ") && !i.contains("--from=")).toList()) {
            String[] words = copy.split("\\s+");
            for (int i = 1; i < words.length - 1; i++) {
                assertTrue(Files.exists(ProjectFiles.resolve(words[i])), "COPY source missing: " + words[i]);
            }
        }
    }

    @Test
    void copiesThePomOfEveryModuleTheRootPomLists() {
        Matcher module = Pattern.compile("<module>([^<]+)</module>").matcher(ProjectFiles.read("pom.xml"));
        Set<String> copied = new TreeSet<>();
        INSTRUCTIONS.stream().filter(i -> i.startsWith("COPY ")).forEach(i -> copied.add(i.split("\\s+")[1]));
        while (module.find()) {
            String pom = module.group(1) + "/pom.xml";
            assertTrue(copied.contains(pom), "Maven needs " + pom + " in the image build, even with -pl: " + copied);
        }
    }

    @Test
    void pinsItsBaseImagesAndUsesAnExecFormEntrypoint() {
        List<String> from = INSTRUCTIONS.stream().filter(i -> i.startsWith("FROM ")).toList();
        assertEquals(3, from.size(), "build, training, runtime: " + from);
        for (String image : from) {
            String name = image.split("\\s+")[1];
            assertTrue(name.contains(":") && !name.endsWith(":latest"), "unpinned base image: " + image);
        }
        String entrypoint = INSTRUCTIONS.stream().filter(i -> i.startsWith("ENTRYPOINT ")).findFirst().orElseThrow();
        assertTrue(entrypoint.matches("ENTRYPOINT \\[\".*\"\\]"), "not exec form: " + entrypoint);
        assertTrue(entrypoint.contains("/app/registrar.jar"), entrypoint);
        assertTrue(INSTRUCTIONS.contains("EXPOSE 8080"), INSTRUCTIONS.toString());
    }

    /**
     * An AOT cache only fits the JVM options it was made with: the training run, the build-time check and the
     * ENTRYPOINT take them from one argument file, registrar/jvm.options, and add only their own cache options.
     */
    @Test
    void trainsChecksAndRunsWithTheSameJvmOptionsFile() {
        assertTrue(INSTRUCTIONS.contains("COPY registrar/jvm.options /app/jvm.options"),
                "the training stage must copy the JVM options file next to the jar: " + INSTRUCTIONS);
        assertTrue(INSTRUCTIONS.contains("COPY registrar/aot-training.sh /usr/local/bin/aot-training.sh"),
                "the training script must be on PATH in the training stage");
        String entrypoint = INSTRUCTIONS.stream().filter(i -> i.startsWith("ENTRYPOINT ")).findFirst().orElseThrow();
        assertEquals("ENTRYPOINT [\"java\", \"@/app/jvm.options\", \"-XX:AOTCache=/app/registrar.aot\", \"-jar\","
                + " \"/app/registrar.jar\"]", entrypoint);

        String training = INSTRUCTIONS.stream().filter(i -> i.startsWith("RUN aot-training.sh ")).findFirst()
                .orElseThrow(() -> new AssertionError("no RUN aot-training.sh step"));
        assertEquals(List.of("@/app/jvm.options", "-XX:AOTCacheOutput=/app/registrar.aot"),
                jvmOptions(List.of(training.split("\\s+"))), training);
        String check = INSTRUCTIONS.stream().filter(i -> i.startsWith("RUN java ") && i.contains("-XX:AOTMode=on"))
                .findFirst().orElseThrow(() -> new AssertionError("no build-time check of the AOT cache"));
        assertEquals(List.of("@/app/jvm.options", "-XX:AOTCache=/app/registrar.aot", "-XX:AOTMode=on"),
                jvmOptions(List.of(check.split("\\s+"))), check);
    }

    /** The options file holds options only (cache options stay on each command line), each line with its reason. */
    @Test
    void jvmOptionsFileHoldsTheSharedOptionsWithTheirReasons() {
        List<String> options = ProjectFiles.read("registrar/jvm.options").lines()
                .filter(line -> !line.isBlank() && !line.strip().startsWith("#")).toList();
        assertTrue(options.size() >= 5, options.toString());
        for (String line : options) {
            String option = line.split("\\s+")[0];
            assertTrue(option.startsWith("-X"), "not a JVM option: " + line);
            assertTrue(!option.startsWith("-XX:AOT"), "cache options belong on the command lines: " + line);
            assertTrue(line.contains(" # "), "say why: " + line);
        }
    }

    /** The launcher reads the file, comments included, and applies its options (the test JVM's java: JDK 21+). */
    @Test
    void theJavaLauncherAcceptsTheOptionsFile() throws Exception {
        String java = ProcessHandle.current().info().command().orElse("java");
        Process process = new ProcessBuilder(java, "@" + ProjectFiles.resolve("registrar/jvm.options"),
                "-XX:+PrintCommandLineFlags", "-version").redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, process.waitFor(), output);
        for (String flag : List.of("-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-XX:MaxHeapSize=33554432",
                "-XX:ThreadStackSize=256", "-XX:-UsePerfData", "-XX:+ExitOnOutOfMemoryError")) {
            assertTrue(output.contains(flag), flag + " not applied: " + output);
        }
    }

    /** The words between the java program and -jar. */
    private static List<String> jvmOptions(List<String> words) {
        int java = 0;
        while (!words.get(java).endsWith("java")) {
            java++;
        }
        return words.subList(java + 1, words.indexOf("-jar"));
    }

    /** The Dockerfile's instructions, continuation lines joined, comments dropped. */
    private static List<String> instructions() {
        List<String> result = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        for (String line : ProjectFiles.read("registrar/Dockerfile").lines().toList()) {
            String trimmed = line.strip();
            if (trimmed.startsWith("#") || trimmed.isEmpty()) {
                continue;
            }
            if (trimmed.endsWith("\\")) {
                current.append(trimmed, 0, trimmed.length() - 1).append(' ');
                continue;
            }
            current.append(trimmed);
            result.add(current.toString().replaceAll("\\s+", " "));
            current.setLength(0);
        }
        return result;
    }
}
