package org.citusrailway.testkit.ha;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import org.citusrailway.testkit.ComposeProject;
import org.citusrailway.testkit.ComposeProject.Result;

/**
 * The high-availability variant (docker-compose.ha.yml) as a named compose project, and what the real-engine test and
 * the failover benchmark ask of it: Patroni's view of each group (patronictl, in whichever member answers), a member's
 * container, and connections through the stable endpoint on 127.0.0.1:5432.
 */
public final class HaCompose {
    /** One row of patronictl list. */
    public record Member(int group, String name, String role, String state) {
        public boolean leads() {
            return "Leader".equals(role) && "running".equals(state);
        }

        /**
         * A standby that streams and is in the group's synchronous quorum: only then does a commit wait for it, and
         * only then may Patroni promote it when the primary is lost (a member that has just rejoined streams a few
         * seconds before the primary counts it in).
         */
        public boolean protects() {
            return ("Quorum Standby".equals(role) || "Sync Standby".equals(role)) && "streaming".equals(state);
        }
    }

    public static final List<String> MEMBERS = List.of("coordinator-a", "coordinator-b", "worker1-a", "worker1-b",
            "worker2-a", "worker2-b");

    private final ComposeProject project;
    private final String name;
    private final Path root;
    private final String password;
    private final int endpointPort;
    private final List<Path> overrides = new ArrayList<>();

    /**
     * endpointPort: where the env file publishes the endpoint (HA_LOCAL_PORT); the pooler is 1000 above it, the
     * registrar as far from 8080 as the endpoint is from 5432.
     */
    public HaCompose(String name, Path envFile, Path root, String password, int endpointPort) {
        this.project = new ComposeProject(name, envFile, root);
        this.name = name;
        this.root = root;
        this.password = password;
        this.endpointPort = endpointPort;
    }

    /** The env file's lines that publish the endpoint and the pooler on this project's ports. */
    public String portSettings() {
        return "HA_LOCAL_PORT=" + endpointPort + "\nHA_LOCAL_POOLER_PORT=" + poolerPort() + "\nHA_LOCAL_REGISTRAR_PORT="
                + registrarPort() + "\n";
    }

    /** The registrar's HTTP port: 8080 beside the endpoint's 5432, shifted alike. */
    public int registrarPort() {
        return 8080 + endpointPort - 5432;
    }

    public int endpointPort() {
        return endpointPort;
    }

    public int poolerPort() {
        return endpointPort + 1000;
    }

    /** A compose file applied over docker-compose.ha.yml from now on (a test's own settings). */
    public void addOverride(Path file) {
        overrides.add(file);
    }

    public Result compose(Duration timeout, String... arguments) {
        List<String> all = new ArrayList<>(List.of("-f", "docker-compose.ha.yml"));
        for (Path file : overrides) {
            all.addAll(List.of("-f", file.toString()));
        }
        all.addAll(List.of(arguments));
        return project.compose(timeout, all.toArray(String[]::new));
    }

    public Result run(Duration timeout, String... command) {
        return ComposeProject.run(timeout, Map.of(), root, command);
    }

    /** The compose network the members share. */
    public String network() {
        return name + "_citus";
    }

    /** patronictl in whichever member answers first. */
    public Result patronictl(String... arguments) {
        Result last = new Result(-1, "no member answered");
        for (String member : MEMBERS) {
            List<String> command = new ArrayList<>(List.of("exec", "-T", member, "patronictl"));
            command.addAll(List.of(arguments));
            last = compose(Duration.ofSeconds(60), command.toArray(String[]::new));
            if (last.ok()) {
                return last;
            }
        }
        return last;
    }

    /** patronictl list, by group (empty when no member answers). */
    public Map<Integer, List<Member>> groups() {
        Result list = patronictl("list", "-f", "tsv");
        Map<Integer, List<Member>> groups = new TreeMap<>();
        if (!list.ok()) {
            return groups;
        }
        List<String> lines = list.out().lines().filter(l -> l.contains("\t")).toList();
        if (lines.isEmpty()) {
            return groups;
        }
        List<String> header = List.of(lines.getFirst().split("\t"));
        for (String line : lines.subList(1, lines.size())) {
            String[] cells = line.split("\t", -1);
            Map<String, String> row = new HashMap<>();
            for (int i = 0; i < header.size() && i < cells.length; i++) {
                row.put(header.get(i), cells[i]);
            }
            Member m = new Member(Integer.parseInt(row.get("Group")), row.get("Member"), row.get("Role"),
                    row.get("State"));
            groups.computeIfAbsent(m.group(), g -> new ArrayList<>()).add(m);
        }
        return groups;
    }

    /** The running leader of a group, or null. */
    public String leaderOrNull(int group) {
        return groups().getOrDefault(group, List.of()).stream().filter(Member::leads).map(Member::name).findFirst()
                .orElse(null);
    }

    public Map<Integer, String> leaders() {
        Map<Integer, String> leaders = new TreeMap<>();
        groups().forEach((group, members) -> members.stream().filter(Member::leads).findFirst()
                .ifPresent(m -> leaders.put(group, m.name())));
        return leaders;
    }

    public Member memberOrNull(int group, String member) {
        return groups().getOrDefault(group, List.of()).stream().filter(m -> m.name().equals(member)).findFirst()
                .orElse(null);
    }

    /** The other member of a two-member group. */
    public String partner(String member) {
        String prefix = member.substring(0, member.lastIndexOf('-') + 1);
        return MEMBERS.stream().filter(m -> m.startsWith(prefix) && !m.equals(member)).findFirst().orElseThrow();
    }

    public String container(String service) {
        return compose(Duration.ofSeconds(20), "ps", "-a", "-q", service).out().strip();
    }

    public String inspect(String container, String format) {
        return run(Duration.ofSeconds(10), "docker", "inspect", "--format", format, container).out().strip();
    }

    /** pg_is_in_recovery() of a member, asked over its local socket: t, f, or empty when it does not answer. */
    public String inRecovery(String member) {
        return run(Duration.ofSeconds(10), "docker", "exec", container(member), "psql", "-X", "-A", "-t", "-U",
                "postgres", "-c", "select pg_is_in_recovery()").out().strip();
    }

    /**
     * SIGKILL of a member's container (its first process, from the host), which then stays down as a lost machine
     * does: a container that restarts within the leader key's ttl keeps leading after crash recovery, so its restart
     * policy is off until {@link #restart} starts it again. Returns when the kill was sent (System.nanoTime()).
     */
    public long killAndKeepDown(String member) {
        String container = container(member);
        require(run(Duration.ofSeconds(30), "docker", "update", "--restart", "no", container), "docker update");
        long killed = System.nanoTime();
        require(run(Duration.ofSeconds(30), "kill", "-9", inspect(container, "{{.State.Pid}}")), "kill -9 " + member);
        return killed;
    }

    public void restart(String member) {
        String container = container(member);
        require(run(Duration.ofSeconds(30), "docker", "update", "--restart", "unless-stopped", container), "update");
        require(run(Duration.ofSeconds(60), "docker", "start", container), "docker start " + member);
    }

    /** A TLS connection through the stable endpoint ({@link #endpointPort()} or {@link #poolerPort()}). */
    public Connection connect(int port) throws SQLException {
        Properties props = new Properties();
        props.setProperty("user", "postgres");
        props.setProperty("password", password);
        props.setProperty("sslmode", "require");
        props.setProperty("connectTimeout", "3");
        // A session whose server vanished (no FIN, no RST) would otherwise hang for the kernel's retransmissions.
        props.setProperty("socketTimeout", "30");
        return DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + port + "/postgres", props);
    }

    private static void require(Result result, String what) {
        if (!result.ok()) {
            throw new IllegalStateException(what + " failed: " + result.out());
        }
    }
}
