package org.citusrailway.testkit;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

/**
 * The project's docker-compose.yml run as a named project with its own env file, and the commands around it: what the
 * real-engine test and the rebalance benchmark drive. The coordinator is published on 127.0.0.1:5432 by the compose
 * file, so one such project runs at a time.
 */
public final class ComposeProject {
    /** A finished command: exit code (-1 when it timed out or could not start) and its output, stdout and stderr. */
    public record Result(int code, String out) {
        public boolean ok() {
            return code == 0;
        }
    }

    private final String name;
    private final Path envFile;
    private final Path projectDirectory;

    public ComposeProject(String name, Path envFile, Path projectDirectory) {
        this.name = name;
        this.envFile = envFile;
        this.projectDirectory = projectDirectory;
    }

    /** docker compose with this project's name, env file and directory, then the arguments. */
    public List<String> command(String... arguments) {
        List<String> command = new ArrayList<>(List.of("docker", "compose", "-p", name, "--env-file",
                envFile.toString(), "--project-directory", projectDirectory.toString()));
        command.addAll(List.of(arguments));
        return command;
    }

    public Result compose(Duration timeout, String... arguments) {
        return run(timeout, Map.of(), projectDirectory, command(arguments).toArray(String[]::new));
    }

    /** Runs a command in a directory and waits for it, up to the timeout (then it is killed). */
    public static Result run(Duration timeout, Map<String, String> environment, Path directory, String... command) {
        try {
            Path output = Files.createTempFile("compose-project-", ".out");
            try {
                ProcessBuilder pb = new ProcessBuilder(command).directory(directory.toFile()).redirectErrorStream(true)
                        .redirectOutput(output.toFile());
                pb.environment().putAll(environment);
                Process p = pb.start();
                if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                    p.destroyForcibly();
                    return new Result(-1, "timed out after " + timeout + ": " + String.join(" ", command) + "\n"
                            + Files.readString(output, StandardCharsets.UTF_8));
                }
                return new Result(p.exitValue(), Files.readString(output, StandardCharsets.UTF_8));
            } finally {
                Files.deleteIfExists(output);
            }
        } catch (IOException e) {
            return new Result(-1, e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** A TLS connection to the published coordinator as postgres, as a user on the host makes it. */
    public static Connection connectCoordinator(String password) throws SQLException {
        return connect(5432, password, 5);
    }

    /** A TLS connection as postgres to a published port (5432 the coordinator, 6432 the pooler). */
    public static Connection connect(int port, String password, int connectTimeoutSeconds) throws SQLException {
        Properties props = new Properties();
        props.setProperty("user", "postgres");
        props.setProperty("password", password);
        props.setProperty("sslmode", "require");
        props.setProperty("connectTimeout", Integer.toString(connectTimeoutSeconds));
        return DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + port + "/postgres", props);
    }
}
