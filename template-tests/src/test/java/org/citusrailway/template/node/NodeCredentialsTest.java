package org.citusrailway.template.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.SQLException;
import java.util.List;
import java.util.Map;
import org.citusrailway.testkit.node.NodeUnderTest;
import org.citusrailway.testkit.node.NodeUnderTest.NodeBinaries;
import org.citusrailway.testkit.node.NodeUnderTest.Result;
import org.junit.jupiter.api.Test;

/** ~/.pgpass and the role's password follow POSTGRES_PASSWORD on every boot; the health check uses them. */
class NodeCredentialsTest {
    private static final NodeBinaries BINARIES = NodeBinaries.best();
    private static final String FIRST = "first:pass\\word";
    private static final String SECOND = "second'pass:word";

    @Test
    void aChangedPasswordTakesEffectOnTheNextBootAndIsNeverPrinted() throws Exception {
        try (NodeUnderTest node = new NodeUnderTest(BINARIES, "worker").env("POSTGRES_PASSWORD", FIRST)) {
            node.start();
            assertEquals("*:*:*:postgres:first\\:pass\\\\word\n", Files.readString(node.home.resolve(".pgpass")));
            assertEquals(0, node.stop());
            assertTrue(node.output().contains("database system is shut down"), node.output());

            node.env("POSTGRES_PASSWORD", SECOND).start();
            Path pgpass = node.home.resolve(".pgpass");
            assertEquals("*:*:*:postgres:second'pass\\:word\n", Files.readString(pgpass));
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(pgpass)));
            assertEquals("postgres", Files.getOwner(pgpass, LinkOption.NOFOLLOW_LINKS).getName());
            assertEquals("postgres", Files.readAttributes(pgpass,
                    java.nio.file.attribute.PosixFileAttributes.class).group().getName());

            // TCP logins need TLS, even with the right password; the Unix socket stays for local administration.
            for (String host : List.of("127.0.0.1", "::1")) {
                Result plain = NodeUnderTest.run(List.of("psql", "-X", "-w", "-c", "select 1", "host=" + host + " port="
                        + node.serverPort() + " user=postgres dbname=postgres sslmode=disable"),
                        Map.of("PGPASSWORD", SECOND));
                assertEquals(2, plain.exitCode(), plain.stdout());
                assertTrue(plain.stderr().contains("pg_hba.conf rejects connection") && plain.stderr().contains("no encryption"),
                        plain.stderr());
            }
            Result tls = NodeUnderTest.run(List.of("psql", "-X", "-w", "-A", "-t", "-c",
                    "select ssl from pg_stat_ssl where pid = pg_backend_pid()", "host=127.0.0.1 port="
                    + node.serverPort() + " user=postgres dbname=postgres sslmode=require"), Map.of("PGPASSWORD", SECOND));
            assertEquals("t", tls.stdout().strip(), tls.stderr());

            Result withPgpass = node.psqlWithPgpassTo(node, "select 'authenticated'");
            assertEquals("authenticated", withPgpass.stdout().strip(), withPgpass.stderr());
            SQLException old = assertThrows(SQLException.class,
                    () -> node.connect(node.database(), FIRST, "").close());
            assertTrue(old.getMessage().contains("password authentication failed"), old.getMessage());
            node.connect(node.database(), SECOND, "").close();
            assertEquals("on", node.show("ssl"), "TLS stays on across boots");

            String output = node.output();
            assertFalse(output.contains(FIRST) || output.contains(SECOND) || output.contains("pass\\:word"),
                    "the password must not be printed:\n" + output);
            assertEquals(0, node.stop());

            // The role is looked up, not created: a renamed POSTGRES_USER on an existing volume is refused.
            Result renamed = node.env("POSTGRES_USER", "someone_else").runToExit();
            assertEquals(2, renamed.exitCode(), renamed.stderr());
            // Found out once the server is up (the role is in its catalog): the server is stopped first, so the
            // one error is the last line.
            List<String> lines = renamed.stderrLines();
            assertEquals("citus-node: error [postgres-user-missing]: role someone_else does not exist in "
                    + node.pgdata + "; POSTGRES_USER must stay the user the volume was created with",
                    lines.get(lines.size() - 1), renamed.stderr());
            assertEquals(1, lines.stream().filter(l -> l.startsWith("citus-node: error")).count(), renamed.stderr());
        }
    }

    @Test
    void nodesAuthenticateToEachOtherWithOnlyTheWrittenPgpassAndTheHealthCheckPasses() throws Exception {
        try (NodeUnderTest coordinator = new NodeUnderTest(BINARIES, "coordinator").env("POSTGRES_DB", "app");
                NodeUnderTest worker = new NodeUnderTest(BINARIES, "worker").env("POSTGRES_DB", "app")) {
            coordinator.start();
            worker.env("RAILWAY_ENVIRONMENT", "production").withoutEnv("RAILWAY_VOLUME_MOUNT_PATH").start();
            assertTrue(worker.output().contains("citus-node: warning [no-volume]: "), worker.output());
            // psql as the postgres OS user, no PGPASSWORD, no password prompt: only ~/.pgpass can log it in.
            Result toWorker = coordinator.psqlWithPgpassTo(worker, "select current_setting('cluster_name')");
            assertEquals("citus-worker", toWorker.stdout().strip(), toWorker.stderr());
            Result toCoordinator = worker.psqlWithPgpassTo(coordinator, "select current_setting('cluster_name')");
            assertEquals("citus-coordinator", toCoordinator.stdout().strip(), toCoordinator.stderr());

            Map<String, String> healthEnvironment = Map.of("NODE_POSTGRES_HOME", worker.home.toString(),
                    "POSTGRES_DB", "app", "PGPASSWORD", "wrong", "PGHOST", "somewhere.invalid", "PGPORT", "1");
            List<String> health = List.of(NodeUnderTest.HEALTHCHECK.toString(), Integer.toString(worker.serverPort()));
            Result healthy = NodeUnderTest.run(health, healthEnvironment);
            if (BINARIES.citus()) {
                assertEquals(0, healthy.exitCode(), healthy.stderr());
                assertEquals("", healthy.stderr());
            } else {
                assertEquals(1, healthy.exitCode());
                assertTrue(healthy.stderr().startsWith("citus-node: error [health-citus-not-loaded]: "),
                        healthy.stderr());
            }

            assertEquals(0, worker.stop());
            Result down = NodeUnderTest.run(health, healthEnvironment);
            assertEquals(1, down.exitCode());
            assertEquals(1, down.stderrLines().size(), down.stderr());
            assertTrue(down.stderr().startsWith("citus-node: error [health-connection-failed]: "), down.stderr());
        }
    }
}
