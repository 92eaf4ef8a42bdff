package org.citusrailway.benchmark;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.citusrailway.testkit.FreePorts;
import org.citusrailway.testkit.LocalPostgres;
import org.citusrailway.testkit.registrar.RegistrarProcess;

/**
 * JVM spawn → first statement the coordinator receives from the registrar. The coordinator logs connections and
 * statements with epoch-millisecond timestamps (log_line_prefix %n); the spawn time is taken with the same wall clock
 * just before the process is started. That is the honest end point: the coordinator has seen the registrar's query,
 * not merely a log line promising one.
 */
final class StartupTimer {
    private static final Pattern STAMP = Pattern.compile("^(\\d+\\.\\d{3}) \\[\\d+\\] ([^:]*): (.*)$");
    private static final String APP = "citus-registrar";

    /** One start: milliseconds from spawn to each milestone (-1 when not seen). */
    record Start(double startedLine, double authorized, double firstStatement) {
    }

    private final LocalPostgres coordinator;
    private final Map<String, String> env;

    StartupTimer(LocalPostgres coordinator, Map<String, String> env) {
        this.coordinator = coordinator;
        this.env = env;
    }

    List<Start> measure(JvmCommand command, int runs) throws IOException, InterruptedException {
        coordinator.execute("postgres", "alter system set log_connections = on",
                "alter system set log_statement = 'all'", "alter system set log_line_prefix = '%n [%p] %a: '",
                "select pg_reload_conf()");
        Thread.sleep(200); // the postmaster applies the reload asynchronously
        List<Start> starts = new ArrayList<>();
        try {
            for (int i = 0; i < runs; i++) {
                starts.add(once(command, i));
                Thread.sleep(300); // let the previous session end on the server before the next start
            }
        } finally {
            coordinator.execute("postgres", "alter system reset log_connections", "alter system reset log_statement",
                    "alter system reset log_line_prefix", "select pg_reload_conf()");
        }
        return starts;
    }

    private Start once(JvmCommand command, int run) throws IOException, InterruptedException {
        long offset = coordinator.logFile().toFile().length();
        try (RegistrarProcess registrar = command.start(env, FreePorts.next())) {
            double authorized = -1;
            double statement = -1;
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (statement < 0 && System.nanoTime() < deadline) {
                Thread.sleep(20);
                for (String line : newLines(offset)) {
                    Matcher m = STAMP.matcher(line);
                    if (!m.matches()) {
                        continue;
                    }
                    double at = Double.parseDouble(m.group(1)) * 1000 - registrar.spawnedEpochMillis();
                    String text = m.group(3);
                    if (authorized < 0 && text.contains("connection authorized") && text.contains("application_name=" + APP)) {
                        authorized = at;
                    }
                    if (statement < 0 && m.group(2).equals(APP)
                            && (text.startsWith("LOG:  execute") || text.startsWith("LOG:  statement:"))) {
                        statement = at;
                    }
                }
            }
            if (statement < 0) {
                throw new IllegalStateException("no statement from the registrar reached the coordinator within 30 s;"
                        + " registrar output:\n" + registrar.tail());
            }
            double started = registrar.millisToLine(l -> l.contains("registrar-started"), Duration.ofSeconds(5));
            return new Start(started, authorized, statement);
        }
    }

    private List<String> newLines(long offset) throws IOException {
        try (RandomAccessFile file = new RandomAccessFile(coordinator.logFile().toFile(), "r")) {
            long length = file.length();
            if (length <= offset) {
                return List.of();
            }
            byte[] bytes = new byte[(int) (length - offset)];
            file.seek(offset);
            file.readFully(bytes);
            return List.of(new String(bytes, StandardCharsets.UTF_8).split("\n"));
        }
    }
}
