package org.citusrailway.testkit;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.stream.Stream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.compressors.xz.XZCompressorInputStream;

/** A PostgreSQL installation the tests can start servers from: Debian's packages or the embedded binaries. */
public record PostgresBinaries(String label, Path binDir, Path pkgLibDir, Path extensionDir) {

    private static final Path DEBIAN_ROOT = Path.of("/usr/lib/postgresql");
    private static final String EMBEDDED_ARCHIVE = "postgres-linux-x86_64.txz";

    public Path bin(String program) {
        return binDir.resolve(program);
    }

    /** True when the citus library and its extension control file are installed here. */
    public boolean hasCitus() {
        return Files.isRegularFile(pkgLibDir.resolve("citus.so"))
                && Files.isRegularFile(extensionDir.resolve("citus.control"));
    }

    /** Debian's PostgreSQL of the given major version, when installed. */
    public static Optional<PostgresBinaries> debian(int major) {
        Path root = DEBIAN_ROOT.resolve(Integer.toString(major));
        if (!Files.isExecutable(root.resolve("bin/postgres"))) {
            return Optional.empty();
        }
        return Optional.of(new PostgresBinaries("Debian PostgreSQL " + major, root.resolve("bin"), root.resolve("lib"),
                Path.of("/usr/share/postgresql", Integer.toString(major), "extension")));
    }

    /**
     * The system property that picks the PostgreSQL major version the Citus tests run on (Citus 13.2 supports 15 to
     * 17), as in {@code ./mvnw verify -Dtest.pg.major=15}; the environment variable {@link #MAJOR_VARIABLE} does the
     * same. Unset, the tests take the newest major with Citus installed.
     */
    public static final String MAJOR_PROPERTY = "test.pg.major";
    public static final String MAJOR_VARIABLE = "TEST_PG_MAJOR";

    /** The major version chosen with {@link #MAJOR_PROPERTY} or {@link #MAJOR_VARIABLE}, if any. */
    public static OptionalInt chosenMajor() {
        String value = System.getProperty(MAJOR_PROPERTY);
        String source = "-D" + MAJOR_PROPERTY;
        if (value == null || value.isBlank()) {
            value = System.getenv(MAJOR_VARIABLE);
            source = MAJOR_VARIABLE;
        }
        if (value == null || value.isBlank()) {
            return OptionalInt.empty();
        }
        if (!value.strip().matches("\\d{2}")) {
            throw new IllegalArgumentException(source + "=" + value + " is not a PostgreSQL major version such as 15");
        }
        return OptionalInt.of(Integer.parseInt(value.strip()));
    }

    /**
     * The Debian PostgreSQL with the citus library installed that the Citus tests run on: the chosen major
     * ({@link #chosenMajor()}) or, when none is chosen, the newest one installed.
     */
    public static Optional<PostgresBinaries> withCitus() {
        OptionalInt chosen = chosenMajor();
        if (chosen.isPresent()) {
            return debian(chosen.getAsInt()).filter(PostgresBinaries::hasCitus);
        }
        if (!Files.isDirectory(DEBIAN_ROOT)) {
            return Optional.empty();
        }
        try (Stream<Path> majors = Files.list(DEBIAN_ROOT)) {
            return majors.map(p -> p.getFileName().toString())
                    .filter(name -> name.matches("\\d+"))
                    .map(Integer::parseInt)
                    .sorted(Comparator.reverseOrder())
                    .map(PostgresBinaries::debian)
                    .flatMap(Optional::stream)
                    .filter(PostgresBinaries::hasCitus)
                    .findFirst();
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** Why Citus tests cannot run here, for the skip message. */
    public static String citusMissingReason() {
        OptionalInt chosen = chosenMajor();
        if (chosen.isPresent()) {
            int major = chosen.getAsInt();
            return "PostgreSQL " + major + " was chosen (" + MAJOR_VARIABLE + " or -D" + MAJOR_PROPERTY + ") but "
                    + (debian(major).isEmpty() ? "it is not installed under " + DEBIAN_ROOT.resolve(Integer.toString(major))
                            : "the citus extension is not installed for it (citus.so under " + DEBIAN_ROOT.resolve(
                                    Integer.toString(major)).resolve("lib") + ", citus.control under /usr/share/postgresql/"
                                    + major + "/extension)");
        }
        return "no PostgreSQL with the citus extension is installed on this machine"
                + " (looked for citus.so under /usr/lib/postgresql/*/lib and citus.control under"
                + " /usr/share/postgresql/*/extension)";
    }

    /**
     * The PostgreSQL 17 binaries published on Maven Central (io.zonky.test.postgres), unpacked once into a
     * directory every user can read, so servers can run as the unprivileged postgres user.
     */
    public static synchronized PostgresBinaries embedded() {
        try {
            Path root = Path.of(System.getProperty("java.io.tmpdir"), "citus-railway-embedded-pg-" + embeddedVersion());
            Path done = root.resolve(".unpacked");
            if (!Files.exists(done)) {
                Files.createDirectories(root);
                Files.setPosixFilePermissions(root, PosixFilePermissions.ALL_READ_EXEC);
                try (FileChannel lock = FileChannel.open(root.resolve(".lock"), StandardOpenOption.CREATE,
                        StandardOpenOption.WRITE); var ignored = lock.lock()) {
                    if (!Files.exists(done)) {
                        unpack(root);
                        Files.createFile(done);
                    }
                }
            }
            return new PostgresBinaries("embedded PostgreSQL " + embeddedVersion(), root.resolve("bin"),
                    root.resolve("lib/postgresql"), root.resolve("share/postgresql/extension"));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot unpack the embedded PostgreSQL binaries", e);
        }
    }

    /** The version in the binaries jar's file name (the jar carries no other version record). */
    private static String embeddedVersion() throws IOException {
        java.net.URL archive = PostgresBinaries.class.getClassLoader().getResource(EMBEDDED_ARCHIVE);
        if (archive == null) {
            throw new IOException("the embedded PostgreSQL binaries (" + EMBEDDED_ARCHIVE + ") are not on the class path");
        }
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("binaries-linux-amd64-([0-9.]+)\\.jar")
                .matcher(archive.toString());
        return m.find() ? m.group(1) : Integer.toHexString(archive.toString().hashCode());
    }

    private static void unpack(Path root) throws IOException {
        try (InputStream archive = PostgresBinaries.class.getClassLoader().getResourceAsStream(EMBEDDED_ARCHIVE)) {
            if (archive == null) {
                throw new IOException(EMBEDDED_ARCHIVE + " is not on the class path");
            }
            try (TarArchiveInputStream tar = new TarArchiveInputStream(new XZCompressorInputStream(archive))) {
                TarArchiveEntry entry;
                while ((entry = tar.getNextEntry()) != null) {
                    Path target = root.resolve(entry.getName()).normalize();
                    if (!target.startsWith(root)) {
                        throw new IOException("archive entry escapes its directory: " + entry.getName());
                    }
                    if (entry.isDirectory()) {
                        Files.createDirectories(target);
                    } else if (entry.isSymbolicLink()) {
                        Files.createDirectories(target.getParent());
                        Files.deleteIfExists(target);
                        Files.createSymbolicLink(target, Path.of(entry.getLinkName()));
                        continue;
                    } else {
                        Files.createDirectories(target.getParent());
                        Files.copy(tar, target, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                    }
                    Files.setPosixFilePermissions(target,
                            (entry.getMode() & 0100) != 0 || entry.isDirectory()
                                    ? PosixFilePermissions.ALL_READ_EXEC : PosixFilePermissions.ALL_READ);
                }
            }
        }
    }

    /** Permission sets used when unpacking. */
    static final class PosixFilePermissions {
        static final Set<PosixFilePermission> ALL_READ_EXEC = EnumSet.of(PosixFilePermission.OWNER_READ,
                PosixFilePermission.OWNER_WRITE, PosixFilePermission.OWNER_EXECUTE, PosixFilePermission.GROUP_READ,
                PosixFilePermission.GROUP_EXECUTE, PosixFilePermission.OTHERS_READ, PosixFilePermission.OTHERS_EXECUTE);
        static final Set<PosixFilePermission> ALL_READ = EnumSet.of(PosixFilePermission.OWNER_READ,
                PosixFilePermission.OWNER_WRITE, PosixFilePermission.GROUP_READ, PosixFilePermission.OTHERS_READ);

        private PosixFilePermissions() {
        }
    }
}
