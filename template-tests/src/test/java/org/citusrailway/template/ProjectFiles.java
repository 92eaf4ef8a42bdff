package org.citusrailway.template;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Where the repository under test is, and reading its files. */
public final class ProjectFiles {
    private ProjectFiles() {
    }

    /** The repository root, passed by the build as {@code project.root}. */
    public static Path root() {
        String root = System.getProperty("project.root");
        Path path = root != null ? Path.of(root) : Path.of("..");
        return path.toAbsolutePath().normalize();
    }

    public static Path resolve(String relative) {
        return root().resolve(relative);
    }

    public static String read(String relative) {
        try {
            return Files.readString(resolve(relative));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + relative, e);
        }
    }

    /** The shared reference data beside the repository (the Compose schema). */
    public static Path shared(String relative) {
        return root().getParent().resolve("shared").resolve(relative);
    }
}
