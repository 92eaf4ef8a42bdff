package org.citusrailway.template.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.citusrailway.testkit.node.NodeUnderTest;
import org.citusrailway.testkit.node.NodeUnderTest.Result;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** node/entrypoint.sh sourced in bash: its functions are called one by one, and no server is booted. */
class NodeEntrypointFunctionsTest {
    @TempDir
    Path temporary;
    private Path officialEntrypoint;
    private Path officialEntrypointRan;

    /** Stands in for the official docker-entrypoint.sh: notes that it ran, prints its PID and arguments. */
    @BeforeEach
    void writeOfficialEntrypointStandIn() throws IOException {
        officialEntrypoint = temporary.resolve("official-entrypoint.sh");
        officialEntrypointRan = temporary.resolve("official-entrypoint-ran");
        Files.writeString(officialEntrypoint, """
                #!/bin/sh
                touch "%s"
                echo "official=$$"
                printf '[%%s]' "$@"
                echo
                exit "${STAND_IN_STATUS:-0}"
                """.formatted(officialEntrypointRan));
        officialEntrypoint.toFile().setExecutable(true);
    }

    /** Runs the script in bash after sourcing the entrypoint with the arguments the image passes (postgres). */
    private Result sourcedThen(String script, Map<String, String> environment, String... arguments) {
        List<String> command = new ArrayList<>(List.of("bash", "-c", "source \"$0\" postgres\n" + script,
                NodeUnderTest.ENTRYPOINT.toString()));
        command.addAll(Arrays.asList(arguments));
        Map<String, String> withStandIn = new HashMap<>(environment);
        withStandIn.put("NODE_OFFICIAL_ENTRYPOINT", officialEntrypoint.toString());
        return NodeUnderTest.run(command, withStandIn);
    }

    @Test
    void sourcingDefinesTheFunctionsAndStartsNothing() {
        // Without CITUS_NODE_ROLE a boot would stop at once with [unknown-node-role].
        Result result = sourcedThen("declare -F main check_environment run_server single_quoted", Map.of());
        assertEquals(0, result.exitCode(), result.stderr());
        assertEquals("", result.stderr());
        assertEquals("main\ncheck_environment\nrun_server\nsingle_quoted\n", result.stdout());
        assertFalse(Files.exists(officialEntrypointRan), "the official entrypoint must not run");
    }

    @Test
    void singleQuotedDoublesQuotesAndKeepsEverythingElse() {
        Result result = sourcedThen("for text in \"$@\"; do printf '%s\\0' \"$(single_quoted \"$text\")\"; done",
                Map.of(), "it's", "''", "C:\\dir\\", "two\nlines\n", "", "plain");
        assertEquals(0, result.exitCode(), result.stderr());
        assertEquals(List.of("'it''s'", "''''''", "'C:\\dir\\'", "'two\nlines\n'", "''", "'plain'"),
                List.of(result.stdout().split("\0", -1)).subList(0, 6));
        assertEquals(7, result.stdout().split("\0", -1).length, result.stdout());
    }

    @Test
    void anyCommandButTheServerReplacesTheEntrypointProcessWithTheOfficialEntrypoint() {
        Result result = sourcedThen("(echo \"shell=$BASHPID\"; main psql -l 'a b')", Map.of());
        assertEquals(0, result.exitCode(), result.stderr());
        List<String> lines = result.stdout().lines().toList();
        assertEquals(3, lines.size(), result.stdout());
        assertEquals(lines.get(0).replace("shell=", ""), lines.get(1).replace("official=", ""),
                "exec: the same process");
        assertEquals("[psql][-l][a b]", lines.get(2));
    }

    @Test
    void runServerPassesItsArgumentsOnAndReturnsTheStatusOfAServerThatStopsBeforeItIsReady() {
        String script = """
                CITUS_NODE_ROLE=worker NODE_SETTINGS_FILE=/conf/postgresql.conf PGDATA=$1
                SETTING_MAX_CONNECTIONS=100 SETTING_SHARED_BUFFERS=128MB SETTING_WORK_MEM=4MB
                MEMORY_LIMIT_MIB=1024 MEMORY_LIMIT_SOURCE=test
                status=0
                run_server -c work_mem=8MB || status=$?
                echo "status=$status"
                """;
        Result result = sourcedThen(script, Map.of("STAND_IN_STATUS", "3"), temporary.toString());
        assertEquals(0, result.exitCode(), result.stderr());
        List<String> lines = result.stdout().lines().toList();
        assertEquals("citus-node: starting the worker: max_connections=100 shared_buffers=128MB work_mem=4MB"
                + " (memory limit 1024 MiB, test)", lines.get(0), result.stdout());
        assertEquals("[postgres][-c][config_file=/conf/postgresql.conf][-c][work_mem=8MB]", lines.get(2));
        assertEquals("status=3", lines.get(3));
        assertEquals(4, lines.size(), result.stdout());
    }
}
