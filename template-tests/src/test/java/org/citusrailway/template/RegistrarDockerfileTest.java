package org.citusrailway.template;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
 * lists, base images are pinned, and the entrypoint is in exec form.
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
     * An AOT cache only fits the JVM options it was made with: the training run and the build-time check must use the
     * ENTRYPOINT's options, apart from the cache options themselves.
     */
    @Test
    void trainsAndChecksTheAotCacheWithTheEntrypointsJvmOptions() {
        String entrypoint = INSTRUCTIONS.stream().filter(i -> i.startsWith("ENTRYPOINT ")).findFirst().orElseThrow();
        List<String> runtime = jvmOptions(List.of(entrypoint.replaceAll("[\\[\\]\",]", " ").trim().split("\\s+")));
        assertTrue(entrypoint.contains("\"-XX:AOTCache=/app/registrar.aot\""), entrypoint);

        String training = INSTRUCTIONS.stream().filter(i -> i.startsWith("RUN aot-training.sh ")).findFirst()
                .orElseThrow(() -> new AssertionError("no RUN aot-training.sh step"));
        assertTrue(training.contains("-XX:AOTCacheOutput=/app/registrar.aot"), training);
        assertTrue(INSTRUCTIONS.contains("COPY registrar/aot-training.sh /usr/local/bin/aot-training.sh"),
                "the training script must be on PATH in the training stage");
        String check = INSTRUCTIONS.stream().filter(i -> i.startsWith("RUN java ") && i.contains("-XX:AOTMode=on"))
                .findFirst().orElseThrow(() -> new AssertionError("no build-time check of the AOT cache"));
        for (String step : List.of(training, check)) {
            List<String> options = jvmOptions(List.of(step.split("\\s+")));
            assertEquals(runtime.stream().filter(o -> !o.startsWith("-XX:AOT"))
                    .toList(), options.stream().filter(o -> !o.startsWith("-XX:AOT")).toList(), step);
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
