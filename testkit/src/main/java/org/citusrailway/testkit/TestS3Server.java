package org.citusrailway.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * A real S3 API server on loopback for the tests: S3Proxy (org.gaul:s3proxy, its jar with dependencies, copied by
 * the build to the path in the system property {@value #JAR_PROPERTY}) in a child process, storing objects in a
 * directory, over HTTPS with a self-signed certificate made by keytool, AWS signature v4. {@link #stop()} and
 * {@link #start()} make an outage on the same port. It listens on loopback, or on another address of this machine
 * (the Docker bridge's gateway, for containers) with the names clients use for it in its certificate.
 */
public final class TestS3Server implements AutoCloseable {
    public static final String JAR_PROPERTY = "s3proxy.jar";
    public static final String REGION = "us-east-1";
    public static final String ACCESS_KEY_ID = "test-access-key";
    public static final String SECRET_ACCESS_KEY = "test-secret-key-0123456789";

    private static final Pattern IPV4 = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");

    private final Path dir;
    private final String address;
    private final int port;
    private Process process;

    private TestS3Server(Path dir, String address, List<String> names) throws IOException {
        this.dir = dir;
        this.address = address;
        this.port = FreePorts.next();
        Set<String> san = new LinkedHashSet<>(List.of("dns:127.0.0.1", "ip:127.0.0.1", "dns:localhost"));
        for (String name : names) {
            san.add((IPV4.matcher(name).matches() ? "ip:" : "dns:") + name);
        }
        Files.createDirectories(dir.resolve("objects"));
        Path keystore = dir.resolve("keystore.p12");
        keytool("-genkeypair", "-alias", "s3", "-keyalg", "RSA", "-keysize", "2048", "-validity", "30", "-dname",
                "CN=127.0.0.1", "-ext", "SAN=" + String.join(",", san), "-keystore", keystore.toString(),
                "-storetype", "PKCS12", "-storepass", "changeit", "-keypass", "changeit");
        keytool("-exportcert", "-rfc", "-alias", "s3", "-keystore", keystore.toString(), "-storepass", "changeit",
                "-file", caFile().toString());
        // Clients run as other users (PostgreSQL's archive_command as postgres): the certificate is public.
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.setPosixFilePermissions(caFile(), PosixFilePermissions.fromString("rw-r--r--"));
        Files.writeString(dir.resolve("s3proxy.properties"), String.join("\n",
                "s3proxy.secure-endpoint=https://" + address + ":" + port,
                "s3proxy.keystore-path=" + keystore,
                "s3proxy.keystore-password=changeit",
                "s3proxy.authorization=aws-v4",
                "s3proxy.identity=" + ACCESS_KEY_ID,
                "s3proxy.credential=" + SECRET_ACCESS_KEY,
                "jclouds.provider=filesystem-nio2",
                "jclouds.filesystem.basedir=" + dir.resolve("objects"), ""));
        Files.writeString(dir.resolve("logback.xml"), """
                <configuration>
                  <appender name="out" class="ch.qos.logback.core.ConsoleAppender">
                    <encoder><pattern>%d %level %logger{0} %msg%n</pattern></encoder>
                  </appender>
                  <root level="WARN"><appender-ref ref="out"/></root>
                </configuration>
                """);
    }

    /** Why no server can be started here (no jar), or empty when one can. */
    public static Optional<String> unavailableReason() {
        String jar = System.getProperty(JAR_PROPERTY);
        if (jar == null || !Files.isRegularFile(Path.of(jar))) {
            return Optional.of("no S3Proxy jar (system property " + JAR_PROPERTY + "=" + jar
                    + "; the template-tests and benchmark builds copy it)");
        }
        return Optional.empty();
    }

    /** A running server on loopback with objects under dir. */
    public static TestS3Server start(Path dir) {
        return start(dir, "127.0.0.1", List.of());
    }

    /**
     * A running server with objects under dir, listening on address (an IPv4 address of this machine); its
     * certificate names loopback, address and the extra names (host names or IPv4 addresses) clients reach it by.
     */
    public static TestS3Server start(Path dir, String address, List<String> names) {
        List<String> all = new java.util.ArrayList<>(List.of(address));
        all.addAll(names);
        try {
            TestS3Server server = new TestS3Server(dir, address, all);
            server.start();
            return server;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Creates an empty bucket (a directory of the store, as S3Proxy keeps them). */
    public void createBucket(String bucket) {
        try {
            Files.createDirectories(dir.resolve("objects").resolve(bucket));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public String endpoint() {
        return endpoint(address);
    }

    /** The endpoint as a client reaches it by another name (one in the certificate). */
    public String endpoint(String host) {
        return "https://" + host + ":" + port;
    }

    public int port() {
        return port;
    }

    /** Where the server keeps the objects of a bucket, one file per object key. */
    public Path bucketDirectory(String bucket) {
        return dir.resolve("objects").resolve(bucket);
    }

    /** The PEM certificate the server presents, for clients that verify it. */
    public Path caFile() {
        return dir.resolve("ca.pem");
    }

    /**
     * What a node is given for this server's bucket: the five variables a Railway Bucket gives its services, path
     * style, the CA file, and its own stanza.
     */
    public java.util.Map<String, String> nodeVariables(String bucket, String stanza) {
        java.util.Map<String, String> variables = new java.util.LinkedHashMap<>();
        variables.put("BUCKET", bucket);
        variables.put("ACCESS_KEY_ID", ACCESS_KEY_ID);
        variables.put("SECRET_ACCESS_KEY", SECRET_ACCESS_KEY);
        variables.put("REGION", REGION);
        variables.put("ENDPOINT", endpoint());
        variables.put("BACKUP_S3_URI_STYLE", "path");
        variables.put("BACKUP_CA_FILE", caFile().toString());
        variables.put("BACKUP_STANZA", stanza);
        return variables;
    }

    /** Starts the server again on the same port (after {@link #stop()}); waits until it accepts connections. */
    public synchronized void start() {
        if (process != null && process.isAlive()) {
            return;
        }
        String java = ProcessHandle.current().info().command().orElse("java");
        try {
            process = new ProcessBuilder(java, "-Dlogback.configurationFile=" + dir.resolve("logback.xml"), "-jar",
                    System.getProperty(JAR_PROPERTY), "--properties", dir.resolve("s3proxy.properties").toString())
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("s3proxy.log").toFile()))
                    .start();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Await.until(Duration.ofSeconds(60), "S3Proxy accepting connections on port " + port, () -> {
            if (!process.isAlive()) {
                throw new IllegalStateException("S3Proxy exited: " + log());
            }
            try (Socket socket = new Socket()) {
                socket.connect(new InetSocketAddress(address, port), 200);
                return true;
            } catch (IOException e) {
                return false;
            }
        });
    }

    /** Stops the server (an outage); the objects stay. */
    public synchronized void stop() {
        if (process == null) {
            return;
        }
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        process = null;
    }

    /** What the server logged (warnings and errors). */
    public String log() {
        try {
            return Files.readString(dir.resolve("s3proxy.log"));
        } catch (IOException e) {
            return "";
        }
    }

    @Override
    public void close() {
        stop();
    }

    private static void keytool(String... args) throws IOException {
        Path keytool = Path.of(System.getProperty("java.home"), "bin", "keytool");
        List<String> command = new java.util.ArrayList<>(List.of(keytool.toString()));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes());
        try {
            if (p.waitFor() != 0) {
                throw new IOException("keytool failed: " + output);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        }
    }
}
