package org.citusrailway.testkit;

import java.io.IOException;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Whether tests can use a real Docker engine here, asked of the docker CLI with short time limits, so a test that
 * cannot run skips within seconds: no engine, or an image that is not in the engine (tests never pull; where no
 * registry answers, a pull waits for minutes).
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
