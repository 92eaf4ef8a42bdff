package org.citusrailway.testkit;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Whether tests can use a real Docker engine here, asked of the docker CLI with short time limits, so a test that
 * cannot run skips within seconds: no engine, or an image that is not in the engine. {@link #unusableBecause} never
 * pulls; {@link #unusableAfterPulling} pulls a missing image, but gives up within seconds when no registry answers.
 */
public final class DockerEngine {
    private DockerEngine() {
    }

    /** Why the images cannot be used here, or empty when the engine answers and holds every one of them. */
    public static Optional<String> unusableBecause(List<String> images) {
        if (!succeeds("docker", "info", "--format", "{{.ServerVersion}}")) {
            return Optional.of("no Docker engine answers here (docker info failed or took over 10 s)");
        }
        for (String image : images) {
            if (!succeeds("docker", "image", "inspect", "--format", "{{.Id}}", image)) {
                return Optional.of("the image " + image + " is not in the local Docker engine (tests never pull)");
            }
        }
        return Optional.empty();
    }

    /**
     * Why the images cannot be used here, or empty once the engine answers and holds every one of them. A missing image
     * is pulled: the pull is given up when the registry has not answered within {@code firstAnswer} (where no registry
     * is reachable a pull can otherwise wait for minutes) or when it has not finished within {@code limit}.
     */
    public static Optional<String> unusableAfterPulling(List<String> images, Duration firstAnswer, Duration limit) {
        if (!succeeds("docker", "info", "--format", "{{.ServerVersion}}")) {
            return Optional.of("no Docker engine answers here (docker info failed or took over 10 s)");
        }
        for (String image : images) {
            if (!present(image)) {
                Optional<String> failed = pull(image, firstAnswer, limit);
                if (failed.isPresent()) {
                    return failed;
                }
            }
        }
        return Optional.empty();
    }

    /** Whether the engine holds the image. */
    public static boolean present(String image) {
        return succeeds("docker", "image", "inspect", "--format", "{{.Id}}", image);
    }

    /** docker pull, bounded as {@link #unusableAfterPulling} says; why it failed, or empty. */
    private static Optional<String> pull(String image, Duration firstAnswer, Duration limit) {
        System.out.println("DockerEngine: pulling " + image + " (not in the local engine)");
        long started = System.nanoTime();
        Process p;
        try {
            p = new ProcessBuilder("docker", "pull", image).redirectErrorStream(true).start();
        } catch (IOException e) {
            return Optional.of("docker pull " + image + " could not start: " + e.getMessage());
        }
        Deque<String> lastLines = new ArrayDeque<>();
        long[] firstLine = {0};
        Thread reader = Thread.ofVirtual().start(() -> {
            try (BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(),
                    StandardCharsets.UTF_8))) {
                for (String line; (line = out.readLine()) != null; ) {
                    synchronized (lastLines) {
                        if (firstLine[0] == 0) {
                            firstLine[0] = System.nanoTime();
                        }
                        lastLines.addLast(line.strip());
                        if (lastLines.size() > 3) {
                            lastLines.removeFirst();
                        }
                    }
                }
            } catch (IOException ignored) {
                // the process was ended
            }
        });
        try {
            while (!p.waitFor(100, TimeUnit.MILLISECONDS)) {
                long elapsed = System.nanoTime() - started;
                boolean answered;
                synchronized (lastLines) {
                    answered = firstLine[0] != 0;
                }
                if (!answered && elapsed > firstAnswer.toNanos()) {
                    p.destroyForcibly();
                    return Optional.of("the image " + image + " is not in the local Docker engine and no registry"
                            + " answered its pull within " + firstAnswer.toSeconds() + " s");
                }
                if (elapsed > limit.toNanos()) {
                    p.destroyForcibly();
                    return Optional.of("the image " + image + " is not in the local Docker engine and its pull did"
                            + " not finish within " + limit.toMinutes() + " min");
                }
            }
            reader.join(Duration.ofSeconds(5));
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            return Optional.of("interrupted while pulling " + image);
        }
        if (p.exitValue() != 0) {
            synchronized (lastLines) {
                return Optional.of("the image " + image + " is not in the local Docker engine and docker pull failed: "
                        + String.join(" / ", lastLines));
            }
        }
        System.out.printf("DockerEngine: pulled %s in %.1f s%n", image, (System.nanoTime() - started) / 1e9);
        return Optional.empty();
    }

    private static boolean succeeds(String... command) {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return false;
            }
            return p.exitValue() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
