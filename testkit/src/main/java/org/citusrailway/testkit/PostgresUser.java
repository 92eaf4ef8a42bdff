package org.citusrailway.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * PostgreSQL refuses to run as root. When the tests run as root (CI does), server processes are started as the
 * unprivileged {@code postgres} OS user through {@code setpriv}, and the files they own are handed over.
 */
public final class PostgresUser {
    public static final String NAME = "postgres";

    private PostgresUser() {
    }

    public static boolean runningAsRoot() {
        return "root".equals(System.getProperty("user.name"));
    }

    /** The command, prefixed so that it runs as the postgres user when we are root. */
    public static List<String> command(List<String> command) {
        List<String> full = new ArrayList<>();
        if (runningAsRoot()) {
            full.addAll(List.of("setpriv", "--reuid=" + NAME, "--regid=" + NAME, "--init-groups", "--"));
        }
        full.addAll(command);
        return full;
    }

    /** Gives the tree to the postgres user (a no-op unless we are root). */
    public static void own(Path path) {
        if (!runningAsRoot()) {
            return;
        }
        try (Stream<Path> tree = Files.walk(path)) {
            UserPrincipalLookupService users = path.getFileSystem().getUserPrincipalLookupService();
            var user = users.lookupPrincipalByName(NAME);
            var group = users.lookupPrincipalByGroupName(NAME);
            for (Path p : (Iterable<Path>) tree::iterator) {
                Files.setOwner(p, user);
                Files.getFileAttributeView(p, java.nio.file.attribute.PosixFileAttributeView.class).setGroup(group);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot hand " + path + " to the postgres user", e);
        }
    }
}
