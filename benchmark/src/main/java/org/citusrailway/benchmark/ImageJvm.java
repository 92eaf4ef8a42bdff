package org.citusrailway.benchmark;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * The image's JVM command made runnable on this machine. Image paths are mapped into a local directory, and what only
 * exists in the image is built here by replaying the Dockerfile's own RUN steps: the jlink runtime that JAVA_HOME
 * names (same modules and options, from the local JDK), then the AOT cache (or class-data archive) with the training
 * command's own flags, run by that runtime. A step that calls a script the Dockerfile copied from the build context
 * (the AOT training, which needs PostgreSQL with Citus) runs that script from the repository, with {@code scriptEnv}
 * naming the local binaries.
 */
final class ImageJvm {
    private final Dockerfile dockerfile;
    private final Path localJdk;
    private final Path dir;
    private final String localJar;
    private final List<String> notes;
    private final Map<String, String> scriptEnv;
    private String java;

    private ImageJvm(Dockerfile dockerfile, Path localJdk, Path registrarJar, Path dir, List<String> notes,
            Map<String, String> scriptEnv) throws IOException {
        this.dockerfile = dockerfile;
        this.localJdk = localJdk;
        this.dir = dir;
        this.notes = notes;
        this.scriptEnv = scriptEnv;
        // The jar sits in the local directory under its image name, so relative paths in the image resolve alike.
        Path jar = dir.resolve(Path.of(dockerfile.jarPath()).getFileName());
        Files.copy(registrarJar, jar, StandardCopyOption.REPLACE_EXISTING);
        this.localJar = jar.toString();
    }

    /** Builds the local command; {@code notes} receives one line per adaptation made. */
    static JvmCommand prepare(Dockerfile dockerfile, Path localJdk, Path registrarJar, Path dir, List<String> notes,
            Map<String, String> scriptEnv) throws IOException, InterruptedException {
        ImageJvm image = new ImageJvm(dockerfile, localJdk, registrarJar, dir, notes, scriptEnv);
        image.java = image.runtime();
        return image.build();
    }

    /** The java program: a local replay of the jlink step that builds JAVA_HOME, else the local JDK's. */
    private String runtime() throws IOException, InterruptedException {
        String home = dockerfile.env().get("JAVA_HOME");
        for (String step : dockerfile.runSteps()) {
            for (List<String> words : commands(step)) {
                int output = words.indexOf("--output");
                if (!words.isEmpty() && words.get(0).endsWith("jlink") && output > 0 && home != null
                        && words.get(output + 1).equals(home)) {
                    Path runtime = dir.resolve("java-runtime");
                    List<String> local = new ArrayList<>(words);
                    local.set(0, localJdk.resolve("bin/jlink").toString());
                    local.set(output + 1, runtime.toString());
                    run(local, Map.of());
                    notes.add("JAVA_HOME " + home + " is a jlink runtime; built locally from " + localJdk
                            + " as the Dockerfile does: " + String.join(" ", local));
                    return runtime.resolve("bin/java").toString();
                }
            }
        }
        notes.add("no jlink step builds JAVA_HOME; runs with " + localJdk + "/bin/java");
        return localJdk.resolve("bin/java").toString();
    }

    private JvmCommand build() throws IOException, InterruptedException {
        List<String> flags = new ArrayList<>();
        Set<String> replayed = new LinkedHashSet<>();
        for (String flag : dockerfile.jvmFlags()) {
            String imageFile = imageFile(flag);
            if (imageFile != null && !Files.exists(local(imageFile))) {
                String step = producer(imageFile);
                if (step == null) {
                    notes.add(flag + ": no RUN step builds " + imageFile + "; passed as " + map(flag));
                } else if (replayed.add(step)) {
                    replay(step);
                }
                if (step != null && !Files.exists(local(imageFile))) {
                    notes.add(flag + ": replaying its RUN step did not create " + imageFile + "; flag left out");
                    continue;
                }
            }
            flags.add(map(flag));
        }
        List<String> command = new ArrayList<>();
        command.add(java);
        command.addAll(flags);
        command.add("-jar");
        command.add(localJar);
        command.addAll(dockerfile.appArgs());
        Map<String, String> env = new HashMap<>();
        dockerfile.env().forEach((name, value) -> {
            // PATH and JAVA_HOME point into the image; the local command names its java directly.
            if (!name.equals("PATH") && !name.equals("JAVA_HOME") && !name.startsWith("LANG")) {
                env.put(name, value);
            }
        });
        return new JvmCommand("Dockerfile flags", List.copyOf(command), Map.copyOf(env), dir);
    }

    /** The image path a flag names (like /app/registrar.jsa) when that file is not on this machine, else null. */
    private String imageFile(String flag) {
        int eq = flag.indexOf('=');
        String value = eq > 0 ? flag.substring(eq + 1) : flag;
        if (value.startsWith("/")) {
            return Files.exists(Path.of(value)) ? null : value;
        }
        return value.matches("[\\w./-]+\\.(jsa|aot|aotconf)") ? value : null;
    }

    private Path local(String imagePath) {
        return dir.resolve(Path.of(imagePath).getFileName());
    }

    /** A word with its image path mapped into the local directory; paths that exist here (like /dev/null) stay. */
    private String map(String word) {
        int eq = word.indexOf('=');
        if (eq > 0 && word.startsWith("/", eq + 1)) {
            return word.substring(0, eq + 1) + mapPath(word.substring(eq + 1));
        }
        return word.startsWith("/") ? mapPath(word) : word;
    }

    private String mapPath(String path) {
        if (path.equals(dockerfile.jarPath())) {
            return localJar;
        }
        return Files.exists(Path.of(path)) ? path : local(path).toString();
    }

    private String producer(String imageFile) {
        String name = Path.of(imageFile).getFileName().toString();
        for (String step : dockerfile.runSteps()) {
            if (step.contains(imageFile) || step.contains(name)) {
                return step;
            }
        }
        return null;
    }

    /** Runs the java (or copied-script) commands of a RUN step with local paths, in the local directory. */
    private void replay(String step) throws IOException, InterruptedException {
        for (List<String> words : commands(step)) {
            Map<String, String> assignments = new HashMap<>(dockerfile.env());
            int i = 0;
            while (i < words.size() && words.get(i).matches("[A-Za-z_][A-Za-z0-9_]*=.*")) {
                String w = words.get(i++);
                assignments.put(w.substring(0, w.indexOf('=')), w.substring(w.indexOf('=') + 1));
            }
            if (i >= words.size()) {
                continue;
            }
            List<String> local = new ArrayList<>();
            String script = copiedScript(words.get(i));
            if (words.get(i).endsWith("java")) {
                local.add(java);
            } else if (script != null) {
                if (scriptEnv.isEmpty()) {
                    notes.add(words.get(i) + " (" + script + ") needs PostgreSQL with Citus here; not replayed");
                    continue;
                }
                local.add(Path.of(script).toAbsolutePath().toString());
                assignments.putAll(scriptEnv);
            } else {
                continue; // chmod, ls …: not needed to build the archive
            }
            words.subList(i + 1, words.size()).forEach(w -> local.add(w.endsWith("/bin/java") ? java : map(w)));
            run(local, assignments);
            notes.add("built locally as the Dockerfile's RUN step does: "
                    + (script != null ? String.join(" ", scriptEnv.entrySet().stream().map(e -> e.getKey() + "="
                    + e.getValue()).toList()) + " " : "") + String.join(" ", local));
        }
    }

    /** The build-context path of a script a COPY put at this image path (or on PATH under this name), else null. */
    private String copiedScript(String word) {
        for (Map.Entry<String, String> copy : dockerfile.copies().entrySet()) {
            String target = copy.getKey();
            if (copy.getValue().endsWith(".sh")
                    && (target.equals(word) || (!word.contains("/") && target.endsWith("/bin/" + word)))) {
                return copy.getValue();
            }
        }
        return null;
    }

    /** The commands of a RUN step: exec form, or shell form split at && ; || | with redirections dropped. */
    private static List<List<String>> commands(String step) {
        if (step.startsWith("[")) {
            return List.of(ShellWords.jsonArray(step));
        }
        List<List<String>> commands = new ArrayList<>();
        for (String part : step.split("&&|;|\\|\\||\\|")) {
            List<String> words = new ArrayList<>();
            List<String> all = ShellWords.split(part);
            for (int i = 0; i < all.size(); i++) {
                String w = all.get(i);
                if (w.matches("\\d*[<>]{1,2}&?")) {
                    i++; // "> /dev/null": the target is the next word
                } else if (!w.matches("\\d*[<>]{1,2}.+")) {
                    words.add(w);
                }
            }
            commands.add(words);
        }
        return commands;
    }

    private void run(List<String> command, Map<String, String> assignments) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true);
        Map<String, String> env = pb.environment();
        env.keySet().removeIf(k -> !k.equals("PATH") && !k.equals("HOME"));
        assignments.forEach((k, v) -> {
            if (!k.equals("PATH") && !k.equals("JAVA_HOME")) {
                env.put(k, v);
            }
        });
        Process p = pb.start();
        byte[] output = p.getInputStream().readAllBytes();
        if (!p.waitFor(300, TimeUnit.SECONDS) || p.exitValue() != 0) {
            p.destroyForcibly();
            throw new IOException("replaying the Dockerfile's RUN step failed: " + String.join(" ", command) + "\n"
                    + new String(output, StandardCharsets.UTF_8));
        }
    }
}
