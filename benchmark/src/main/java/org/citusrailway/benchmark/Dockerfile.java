package org.citusrailway.benchmark;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What the benchmark needs from the registrar's Dockerfile: the final stage's start command (ENTRYPOINT + CMD, exec
 * form), its ENV, every RUN step of every stage (one of them builds the AOT cache the flags name) and where COPY puts
 * files from the build context (a RUN step may call such a script). Reading the Dockerfile, not copying its flags,
 * keeps one source of truth.
 *
 * @param copies image path → build-context path, for COPY instructions that copy from the context (not --from)
 */
record Dockerfile(Path path, List<String> command, Map<String, String> env, List<String> runSteps,
        Map<String, String> copies) {

    static Dockerfile read(Path path) throws IOException {
        List<String> entrypoint = List.of();
        List<String> cmd = List.of();
        Map<String, String> env = new LinkedHashMap<>();
        List<String> runs = new ArrayList<>();
        Map<String, String> copies = new LinkedHashMap<>();
        for (String instruction : instructions(Files.readAllLines(path))) {
            int space = instruction.indexOf(' ');
            String keyword = (space < 0 ? instruction : instruction.substring(0, space)).toUpperCase(Locale.ROOT);
            String rest = space < 0 ? "" : instruction.substring(space + 1).trim();
            switch (keyword) {
                case "FROM" -> {
                    // A new stage: only the last one is the image that runs.
                    entrypoint = List.of();
                    cmd = List.of();
                    env.clear();
                }
                case "ENTRYPOINT" -> {
                    entrypoint = ShellWords.jsonArray(rest);
                    cmd = List.of(); // Docker resets CMD when ENTRYPOINT is set
                }
                case "CMD" -> cmd = rest.startsWith("[") ? ShellWords.jsonArray(rest) : List.of();
                case "ENV" -> env.putAll(envPairs(rest));
                case "RUN" -> runs.add(rest);
                case "COPY" -> {
                    List<String> words = ShellWords.split(rest);
                    if (words.size() == 2 && !words.get(0).startsWith("--")) {
                        copies.put(words.get(1), words.get(0));
                    }
                }
                default -> {
                    // WORKDIR, USER, EXPOSE …: the local directory stands in for the image's paths
                }
            }
        }
        if (entrypoint.isEmpty()) {
            throw new IOException(path + " has no ENTRYPOINT in exec form in its final stage");
        }
        List<String> command = new ArrayList<>(entrypoint);
        command.addAll(cmd);
        return new Dockerfile(path, List.copyOf(command), Map.copyOf(env), List.copyOf(runs), Map.copyOf(copies));
    }

    /** The JVM options: everything between the java program and -jar. */
    List<String> jvmFlags() {
        return command.subList(1, jarIndex());
    }

    String jarPath() {
        return command.get(jarIndex() + 1);
    }

    List<String> appArgs() {
        return command.subList(jarIndex() + 2, command.size());
    }

    private int jarIndex() {
        int i = command.indexOf("-jar");
        if (i < 0 || i + 1 >= command.size() || !command.get(0).endsWith("java")) {
            throw new IllegalStateException("expected ENTRYPOINT [\"java\", flags…, \"-jar\", \"<jar>\"] in " + path
                    + ", found " + command);
        }
        return i;
    }

    /** Joins continuation lines and drops comments, one string per instruction. */
    private static List<String> instructions(List<String> lines) {
        List<String> result = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        for (String line : lines) {
            String trimmed = line.strip();
            if (trimmed.startsWith("#") || (trimmed.isEmpty() && current.isEmpty())) {
                continue;
            }
            if (trimmed.endsWith("\\")) {
                current.append(trimmed, 0, trimmed.length() - 1).append(' ');
                continue;
            }
            current.append(trimmed);
            result.add(current.toString().trim());
            current.setLength(0);
        }
        if (!current.isEmpty()) {
            result.add(current.toString().trim());
        }
        return result;
    }

    /** {@code ENV A=1 B="two words"} or the legacy {@code ENV A value}. */
    private static Map<String, String> envPairs(String rest) {
        Map<String, String> pairs = new LinkedHashMap<>();
        List<String> words = ShellWords.split(rest);
        if (!words.isEmpty() && !words.get(0).contains("=")) {
            pairs.put(words.get(0), rest.substring(rest.indexOf(words.get(0)) + words.get(0).length()).trim());
            return pairs;
        }
        for (String word : words) {
            int eq = word.indexOf('=');
            pairs.put(word.substring(0, eq), word.substring(eq + 1));
        }
        return pairs;
    }
}
