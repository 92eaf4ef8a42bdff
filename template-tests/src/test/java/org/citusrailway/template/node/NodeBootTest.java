package org.citusrailway.template.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.citusrailway.testkit.PostgresUser;
import org.citusrailway.testkit.node.NodeUnderTest;
import org.citusrailway.testkit.node.NodeUnderTest.NodeBinaries;
import org.citusrailway.testkit.node.NodeUnderTest.Result;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Boots of node/entrypoint.sh on fresh, existing, misplaced and cloned volumes, with real servers. */
class NodeBootTest {
    private static final NodeBinaries BINARIES = NodeBinaries.best();

    @Test
    void freshVolumeGetsGeneratedSettingsTlsExtensionsAndStopsFastOnSigterm() throws Exception {
        try (NodeUnderTest node = new NodeUnderTest(BINARIES, "coordinator").env("POSTGRES_DB", "app").start()) {
            assertEquals("logical", node.show("wal_level"));
            assertEquals("*", node.show("listen_addresses"));
            assertEquals("citus-coordinator", node.show("cluster_name"));
            assertEquals("on", node.show("ssl"));
            assertEquals(node.configDir.resolve("postgresql.conf").toString(), node.show("config_file"));
            assertEquals(node.configDir.resolve("pg_hba.conf").toString(), node.show("hba_file"));
            Set<String> extensions = Set.copyOf(List.of(node.query(
                    "select string_agg(extname, ',') from pg_extension").split(",")));
            assertTrue(extensions.contains("pg_stat_statements") || !BINARIES.citus(), extensions.toString());
            if (BINARIES.citus()) {
                assertEquals("citus,pg_stat_statements", node.show("shared_preload_libraries"));
                assertTrue(extensions.contains("citus"), extensions.toString());
            }
            // The clone-guard marker and the certificate live next to PGDATA, on the volume.
            assertTrue(Files.isRegularFile(node.volume.resolve("citus-node-identity")));
            assertTrue(Files.isRegularFile(node.volume.resolve("citus-node-tls/server.key")));

            try (Connection tls = node.connect("app", node.password(), "?sslmode=require");
                    ResultSet rs = tls.createStatement().executeQuery(
                            "select ssl from pg_stat_ssl where pid = pg_backend_pid()")) {
                rs.next();
                assertTrue(rs.getBoolean(1), "sslmode=require must give an encrypted session");
            }
            // No trust on TCP: initdb's 127.0.0.1 trust line is not in the hba file the server uses.
            SQLException noPassword = assertThrows(SQLException.class, () -> node.connect("app", null, "").close());
            assertTrue(noPassword.getMessage().contains("password"), noPassword.getMessage());
            if (ipv6Loopback()) {
                String v6 = "jdbc:postgresql://[::1]:" + node.serverPort() + "/app?sslmode=require";
                DriverManager.getConnection(v6, "postgres", node.password()).close();
                assertThrows(SQLException.class, () -> DriverManager.getConnection(v6, "postgres", "").close());
            }

            // The postmaster runs under the entrypoint, which turns SIGTERM into a fast shutdown: an open session
            // (the registrar always holds one) must not hold the stop until the runtime's SIGKILL.
            long postmasterPid = Long.parseLong(Files.readAllLines(node.pgdata.resolve("postmaster.pid")).get(0));
            assertEquals(node.process().pid(), ProcessHandle.of(postmasterPid).orElseThrow().parent()
                    .orElseThrow().pid());
            try (Connection open = node.connect()) {
                long started = System.nanoTime();
                assertEquals(0, node.stop());
                assertTrue(System.nanoTime() - started < 10_000_000_000L, "fast shutdown despite an open session");
            }
            assertTrue(node.output().contains("received fast shutdown request"), node.output());
            assertTrue(node.output().contains("database system is shut down"), node.output());
        }
    }

    @Test
    void existingVolumeFromPlainInitdbWithOlderSettingsPicksUpTheNewOnes() throws Exception {
        try (NodeUnderTest node = new NodeUnderTest(BINARIES, "worker")) {
            Files.createDirectories(node.pgdata);
            PostgresUser.own(node.pgdata);
            Path pwfile = node.root.resolve("pw");
            Files.writeString(pwfile, node.password() + "\n");
            PostgresUser.own(pwfile);
            // Plain initdb: trust for local and for 127.0.0.1/::1, no include of ours, older settings.
            Result initdb = NodeUnderTest.runAsPostgres(List.of(BINARIES.postgres().bin("initdb").toString(), "-D",
                    node.pgdata.toString(), "-U", "postgres", "--pwfile=" + pwfile, "--no-sync"), Map.of());
            assertEquals(0, initdb.exitCode(), initdb.stderr());
            Files.writeString(node.pgdata.resolve("postgresql.conf"),
                    "wal_level = replica\nmax_connections = 20\nshared_preload_libraries = ''\nlisten_addresses = 'localhost'\n",
                    java.nio.file.StandardOpenOption.APPEND);
            assertTrue(Files.readString(node.pgdata.resolve("pg_hba.conf")).contains("127.0.0.1/32            trust"));

            node.start();
            assertEquals("logical", node.show("wal_level"));
            assertEquals("*", node.show("listen_addresses"));
            assertEquals("51", node.show("max_connections"));
            assertEquals("on", node.show("ssl"));
            if (BINARIES.citus()) {
                assertEquals("citus,pg_stat_statements", node.show("shared_preload_libraries"));
            }
            assertThrows(SQLException.class, () -> node.connect("postgres", null, "").close(),
                    "initdb's trust line for 127.0.0.1 must not apply");
            assertTrue(node.output().contains("adopting the existing data"), node.output());
        }
    }

    @Test
    void pgdataAtTheVolumeRootIsRefusedWithOneLine() {
        try (NodeUnderTest node = new NodeUnderTest(BINARIES, "worker")) {
            node.env("PGDATA", node.volume + "/");
            Result result = node.runToExit();
            assertEquals(2, result.exitCode());
            assertEquals(List.of("citus-node: error [pgdata-at-volume-root]: PGDATA=" + node.volume
                    + " is the volume root (it holds lost+found); set PGDATA=" + node.volume + "/pgdata"),
                    result.stderrLines());
            assertFalse(Files.exists(node.volume.resolve("citus-node-identity")), "nothing is written");
        }
    }

    @ParameterizedTest
    @CsvSource({
        "CITUS_NODE_ROLE, primary, unknown-node-role",
        "POSTGRES_PASSWORD, '', postgres-password-missing",
        "PGDATA, relative/pgdata, pgdata-invalid",
    })
    void aMisconfiguredServiceIsRefusedWithOneLineBeforeTouchingTheVolume(String name, String value, String id) {
        try (NodeUnderTest node = new NodeUnderTest(BINARIES, "worker").env(name, value)) {
            Result result = node.runToExit();
            assertEquals(2, result.exitCode(), result.stderr());
            assertEquals(1, result.stderrLines().size(), result.stderr());
            assertTrue(result.stderr().startsWith("citus-node: error [" + id + "]: "), result.stderr());
            assertTrue(result.stderr().contains(name), result.stderr());
            assertEquals("", result.stdout());
            assertFalse(Files.exists(node.volume.resolve("citus-node-identity")), "nothing is written");
        }
    }

    @Test
    void pgdataOffTheVolumeIsRefusedWithOneLine() {
        try (NodeUnderTest node = new NodeUnderTest(BINARIES, "worker")) {
            node.env("PGDATA", node.root.resolve("elsewhere").toString());
            Result result = node.runToExit();
            assertEquals(2, result.exitCode());
            assertEquals(1, result.stderrLines().size(), result.stderr());
            assertTrue(result.stderr().startsWith("citus-node: error [pgdata-outside-volume]: "), result.stderr());
            assertTrue(result.stderr().contains("set PGDATA=" + node.volume + "/pgdata"), result.stderr());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"RAILWAY_SERVICE_ID", "NODE_IDENTITY"})
    void aVolumeCopiedFromAnotherServiceIsRefusedUntouchedAndAnUnmarkedVolumeIsAdopted(String identity)
            throws Exception {
        try (NodeUnderTest node = new NodeUnderTest(BINARIES, "worker").env(identity, "service-a")) {
            node.start();
            node.execute("create table kept(x int)", "insert into kept values (1)");
            assertEquals(0, node.stop());
            Path marker = node.volume.resolve("citus-node-identity");
            assertEquals("service-a", Files.readString(marker).strip());

            String before = checksum(node.volume);
            node.env(identity, "service-b");
            Result clone = node.runToExit();
            assertEquals(1, clone.exitCode());
            assertEquals(1, clone.stderrLines().size(), clone.stderr());
            assertTrue(clone.stderr().startsWith("citus-node: error [volume-from-another-service]: "), clone.stderr());
            assertTrue(clone.stderr().contains("service-a") && clone.stderr().contains("delete everything on its volume"),
                    clone.stderr());
            assertEquals(before, checksum(node.volume), "the refused boot must not change the volume");

            // A volume from an older image has no marker: it is adopted by the service that boots on it.
            Files.delete(marker);
            node.start();
            assertEquals("1", node.query("select count(*) from kept"));
            assertEquals("service-b", Files.readString(marker).strip());
        }
    }

    @Test
    void libpqVariablesOfTheServiceDoNotMoveTheServer() throws Exception {
        assumeTrue(portIsFree(5432), "port 5432 is in use on this machine; this test needs the image's real port");
        int pgport = NodeUnderTest.freePort();
        try (NodeUnderTest node = new NodeUnderTest(BINARIES, "coordinator").onDefaultPort()
                .env("PGPORT", Integer.toString(pgport)).env("PGHOST", "somewhere.invalid")
                .env("PGUSER", "nobody").env("PGDATABASE", "nowhere").env("PGPASSWORD", "wrong")
                .env("PGSSLMODE", "verify-full").start()) {
            assertEquals("5432", node.show("port"));
            assertEquals("*", node.show("listen_addresses"));
            assertFalse(portIsOpen(InetAddress.getLoopbackAddress(), pgport), "nothing listens on PGPORT");
            if (ipv6Loopback()) {
                assertTrue(portIsOpen(InetAddress.getByName("::1"), 5432), "IPv6 listener on 5432");
            }
        }
    }

    static boolean portIsFree(int port) {
        try (ServerSocket s = new ServerSocket(port, 1, InetAddress.getByName("0.0.0.0"))) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    static boolean portIsOpen(InetAddress address, int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(address, port), 1000);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    static boolean ipv6Loopback() {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName("::1"))) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** Names, modes and contents of every file under the directory. */
    static String checksum(Path dir) throws Exception {
        MessageDigest digest = MessageDigest.getInstance("SHA-256");
        try (Stream<Path> tree = Files.walk(dir)) {
            for (Path p : tree.sorted().toList()) {
                digest.update(dir.relativize(p).toString().getBytes());
                digest.update(java.nio.file.attribute.PosixFilePermissions.toString(
                        Files.getPosixFilePermissions(p)).getBytes());
                if (Files.isRegularFile(p)) {
                    digest.update(Files.readAllBytes(p));
                }
            }
        }
        return HexFormat.of().formatHex(digest.digest());
    }
}
