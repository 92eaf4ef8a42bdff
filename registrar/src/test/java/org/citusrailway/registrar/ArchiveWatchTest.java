package org.citusrailway.registrar;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import org.citusrailway.registrar.Clusters;
import org.citusrailway.registrar.LogCapture;
import org.citusrailway.registrar.RunningRegistrar;
import org.citusrailway.registrar.report.Event;
import org.citusrailway.registrar.row.ArchiveRow;
import org.citusrailway.testkit.Await;
import org.citusrailway.testkit.cluster.LocalCitusCluster;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The registrar reports every node's WAL archiving, against real Citus nodes whose archive_command copies WAL to a
 * directory and fails while a "bucket down" file exists (a real archiver failure, as pgBackRest's exit status gives
 * one): said once when a worker starts failing, in /status and /metrics, and once when it archives again.
 */
class ArchiveWatchTest {
    private static final Duration SOON = Duration.ofSeconds(3 * ArchiveWatch.INTERVAL_SECONDS + 30);

    @TempDir
    Path dir;

    @Test
    void aNodeThatCannotArchiveIsReportedOnceAndSoIsItsRecovery() throws Exception {
        Path archive = Files.createDirectories(dir.resolve("archive"));
        Path down = dir.resolve("bucket-down");
        for (Path p : new Path[] {dir, archive}) {
            Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxrwxrwx")); // the servers' OS user
        }
        String command = "test ! -e " + down + " && cp %p " + archive + "/%f";
        try (LocalCitusCluster cluster = Clusters.scale(b -> b.setting("archive_mode", "on")
                .setting("archive_command", command));
                LogCapture logs = new LogCapture();
                RunningRegistrar registrar = new RunningRegistrar(Clusters.scaleEnvironment(cluster))) {
            Await.until(SOON, "the archiving of three nodes in /status", () -> registrar.status().archive().nodes()
                    .stream().filter(ArchiveRow::answered).count() == 3);
            assertTrue(registrar.status().archive().nodes().stream().noneMatch(ArchiveRow::failing),
                    registrar.status().toJson());

            Files.createFile(down);
            cluster.server(Clusters.W1).execute("postgres", "create table wal_maker (i int)", "select pg_switch_wal()");
            Await.until(SOON, "wal-archive-failing", () -> logs.count(Event.WAL_ARCHIVE_FAILING) == 1);
            String worker1 = cluster.endpoint(Clusters.W1).toString();
            assertTrue(logs.text().contains("node " + worker1 + " cannot archive its WAL"), logs.text());
            ArchiveRow row = registrar.status().archive().nodes().stream()
                    .filter(r -> r.node().toString().equals(worker1)).findFirst().orElseThrow();
            assertTrue(row.failing() && row.readySegments() >= 1 && row.walBytes() > 0, row.toString());
            assertTrue(registrar.registrar.metricsText().contains(
                    "citus_registrar_wal_archive_failing{node=\"" + worker1 + "\"} 1"), registrar.registrar.metricsText());
            assertTrue(registrar.status().toJson().contains("\"failing\":true"), registrar.status().toJson());

            Files.delete(down);
            cluster.server(Clusters.W1).execute("postgres", "insert into wal_maker values (1)", "select pg_switch_wal()");
            Await.until(SOON, "wal-archive-recovered", () -> logs.count(Event.WAL_ARCHIVE_RECOVERED) == 1);
            assertEquals(1, logs.count(Event.WAL_ARCHIVE_FAILING), "said once while it lasted");
            assertTrue(registrar.registrar.metricsText().contains(
                    "citus_registrar_wal_archive_failing{node=\"" + worker1 + "\"} 0"), registrar.registrar.metricsText());
        }
    }
}
