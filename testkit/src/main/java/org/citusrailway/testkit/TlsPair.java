package org.citusrailway.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** One self-signed certificate and key (openssl), made once per test run and copied into each server's data directory. */
final class TlsPair {
    private static Path directory;

    private TlsPair() {
    }

    static synchronized void copyInto(Path dataDir) throws IOException {
        Path source = made();
        for (String name : List.of("server.crt", "server.key")) {
            Path target = dataDir.resolve(name);
            Files.copy(source.resolve(name), target, StandardCopyOption.REPLACE_EXISTING);
            Files.setPosixFilePermissions(target, PosixFilePermissions.fromString("rw-------"));
            PostgresUser.own(target);
        }
    }

    private static Path made() throws IOException {
        if (directory != null) {
            return directory;
        }
        Path dir = Files.createTempDirectory("citus-railway-tls-");
        dir.toFile().deleteOnExit();
        ProcessBuilder openssl = new ProcessBuilder("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days",
                "30", "-subj", "/CN=localhost", "-keyout", dir.resolve("server.key").toString(), "-out",
                dir.resolve("server.crt").toString()).redirectErrorStream(true);
        try {
            Process p = openssl.start();
            String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IllegalStateException("openssl could not make a test certificate:\n" + output);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } catch (IOException e) {
            throw new UncheckedIOException("openssl must be installed to make a test certificate", e);
        }
        dir.resolve("server.key").toFile().deleteOnExit();
        dir.resolve("server.crt").toFile().deleteOnExit();
        directory = dir;
        return dir;
    }
}
