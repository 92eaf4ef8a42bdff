package org.citusrailway.registrar.view;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.citusrailway.registrar.row.ArchiveRow;

/** An immutable picture of the registrar after a pass, published for /status. */
public record Status(String role, boolean coordinatorReachable, String coordinatorError, Instant lastPassAt,
        long lastPassMillis, long passes, int candidatesChecked, List<Candidate> candidates, List<Node> nodes,
        Rebalance rebalance, List<String> pendingCandidates, Dns dns, Archive archive, BackupView backups,
        List<Group> groups) {

    public static final Status STARTING = new Status("starting", false, null, null, 0, 0, 0, List.of(), List.of(), null,
            List.of(), Dns.NONE, Archive.NONE);

    /** Without the backup scheduler's view (a pass builds this; the registrar adds the view when it publishes). */
    public Status(String role, boolean coordinatorReachable, String coordinatorError, Instant lastPassAt, long lastPassMillis,
            long passes, int candidatesChecked, List<Candidate> candidates, List<Node> nodes, Rebalance rebalance,
            List<String> pendingCandidates, Dns dns, Archive archive) {
        this(role, coordinatorReachable, coordinatorError, lastPassAt, lastPassMillis, passes, candidatesChecked,
                candidates, nodes, rebalance, pendingCandidates, dns, archive, BackupView.NONE, List.of());
    }

    public Status withBackups(BackupView view) {
        return new Status(role, coordinatorReachable, coordinatorError, lastPassAt, lastPassMillis, passes,
                candidatesChecked, candidates, nodes, rebalance, pendingCandidates, dns, archive, view, groups);
    }

    /** With the node groups of the high-availability variant (empty in the default template). */
    public Status withGroups(List<Group> seen) {
        return new Status(role, coordinatorReachable, coordinatorError, lastPassAt, lastPassMillis, passes,
                candidatesChecked, candidates, nodes, rebalance, pendingCandidates, dns, archive, backups,
                List.copyOf(seen));
    }

    /**
     * Every node's WAL archiving as last checked ({@link ArchiveWatch}), or why it could not be checked.
     */
    public record Archive(Instant checkedAt, List<ArchiveRow> nodes, String error) {
        public static final Archive NONE = new Archive(null, List.of(), null);
    }

    /**
     * The last pass's lookups: how many names were looked up and how they ended; the names without an answer (at
     * most ten of each kind); since when some name has been without an answer, or null.
     */
    public record Dns(int names, int found, int notFound, int timedOut, int failed, List<String> timedOutNames,
            List<String> failedNames, Instant troubleSince) {
        public static final Dns NONE = new Dns(0, 0, 0, 0, 0, List.of(), List.of(), null);
    }

    /** A candidate name that resolves now or did before. */
    public record Candidate(String name, int port, List<String> addresses, String state, String reason, String lastError,
            Instant lastErrorAt) {
    }

    /**
     * A pg_dist_node row with what the registrar saw of it; reachable is null when not checked. reinitialised: the
     * worker's Citus server_id differs from the one recorded when it was registered (its data directory was wiped).
     */
    public record Node(int nodeId, int groupId, String name, int port, boolean isActive, boolean metadataSynced,
            boolean shouldHaveShards, String role, Boolean reachable, boolean retired, String lastError,
            boolean reinitialised) {
    }

    /**
     * The rebalance the registrar owes or follows.
     *
     * @param state  idle (nothing owed), running, blocked (tables cannot move online), waiting (a worker is
     *               unreachable), needed (owed but REBALANCE_ON_JOIN=false), failed (retried with backoff)
     * @param detail one sentence on why the state is what it is
     * @param fix    what a user can do about blocked/failed/needed, or null
     */
    public record Rebalance(boolean onJoin, String transferMode, String state, String detail, Long jobId, String jobState, Instant startedAt,
            Instant finishedAt, long tasksDone, long tasksTotal, Map<String, Long> tasks,
            List<String> workersWithoutShards, List<String> blockedTables, String fix, String error,
            Instant lastCheckAt) {
    }

    public Status withRole(String newRole, boolean reachable, String error) {
        // Only a completed leader pass knows what is pending; any other role watches nothing.
        return new Status(newRole, reachable, error, lastPassAt, lastPassMillis, passes, candidatesChecked, candidates,
                nodes, rebalance, "leader".equals(newRole) && error == null ? pendingCandidates : List.of(), dns,
                archive, backups, groups);
    }

    public String toJson() {
        Json json = new Json().beginObject()
                .field("role", role)
                .object("coordinator").field("reachable", coordinatorReachable).field("error", coordinatorError)
                .endObject()
                .field("lastPassAt", text(lastPassAt))
                .field("lastPassDurationMs", lastPassMillis)
                .field("passes", passes)
                .field("candidatesChecked", candidatesChecked)
                .strings("pendingCandidates", pendingCandidates)
                .object("dns").field("names", dns.names()).field("found", dns.found())
                .field("notFound", dns.notFound()).field("timedOut", dns.timedOut()).field("failed", dns.failed())
                .strings("timedOutNames", dns.timedOutNames()).strings("failedNames", dns.failedNames())
                .field("troubleSince", text(dns.troubleSince())).endObject();
        json.beginArray("candidates");
        for (Candidate c : candidates) {
            json.beginObject().field("name", c.name()).field("port", c.port()).strings("addresses", c.addresses())
                    .field("state", c.state()).field("reason", c.reason()).field("lastError", c.lastError())
                    .field("lastErrorAt", text(c.lastErrorAt())).endObject();
        }
        json.endArray().beginArray("nodes");
        for (Node n : nodes) {
            json.beginObject().field("nodeid", n.nodeId()).field("groupid", n.groupId()).field("nodename", n.name())
                    .field("nodeport", n.port()).field("isactive", n.isActive())
                    .field("metadatasynced", n.metadataSynced()).field("shouldhaveshards", n.shouldHaveShards())
                    .field("noderole", n.role()).field("reachable", n.reachable()).field("retired", n.retired())
                    .field("lastError", n.lastError()).field("reinitialised", n.reinitialised()).endObject();
        }
        json.endArray().beginArray("groups");
        for (Group g : groups) {
            json.beginObject().field("groupid", g.groupId()).field("primary", g.primary())
                    .field("streamingStandbys", g.streamingStandbys());
            if (g.lastFailover() == null) {
                json.nullField("lastFailover");
            } else {
                json.object("lastFailover").field("timeline", g.lastFailover().timeline())
                        .field("at", g.lastFailover().at()).field("newPrimary", g.lastFailover().newPrimary()).endObject();
            }
            json.beginArray("members");
            for (Group.Member m : g.members()) {
                json.beginObject().field("name", m.name()).field("role", m.role()).field("state", m.state())
                        .field("timeline", m.timeline()).field("lagBytes", m.lagBytes()).field("error", m.error())
                        .endObject();
            }
            json.endArray().endObject();
        }
        json.endArray();
        if (rebalance == null) {
            json.nullField("rebalance");
        } else {
            Rebalance r = rebalance;
            json.object("rebalance").field("onJoin", r.onJoin()).field("transferMode", r.transferMode())
                    .field("state", r.state()).field("detail", r.detail())
                    .field("jobId", r.jobId()).field("jobState", r.jobState()).field("startedAt", text(r.startedAt()))
                    .field("finishedAt", text(r.finishedAt())).field("tasksDone", r.tasksDone())
                    .field("tasksTotal", r.tasksTotal()).object("tasks");
            r.tasks().forEach(json::field);
            json.endObject().strings("workersWithoutShards", r.workersWithoutShards())
                    .strings("blockedTables", r.blockedTables()).field("fix", r.fix()).field("error", r.error())
                    .field("lastCheckAt", text(r.lastCheckAt())).endObject();
        }
        json.object("archive").field("checkedAt", text(archive.checkedAt())).field("error", archive.error())
                .beginArray("nodes");
        for (ArchiveRow a : archive.nodes()) {
            json.beginObject().field("node", a.node().toString()).field("answered", a.answered())
                    .field("archiveMode", a.mode()).field("failing", a.failing()).field("archived", a.archived())
                    .field("failed", a.failed()).field("lastArchivedAt", text(a.lastArchivedAt()))
                    .field("lastFailedAt", text(a.lastFailedAt())).field("lastFailedWal", a.lastFailedWal())
                    .field("readySegments", a.readySegments()).field("walBytes", a.walBytes())
                    .field("notArchivedBytes", a.notArchivedBytes()).field("notArchivedSeconds", a.notArchivedSeconds())
                    .endObject();
        }
        json.endArray().endObject();
        json.object("backups").field("checkedAt", text(backups.checkedAt()))
                .field("lastRestorePoint", backups.lastRestorePoint())
                .field("lastRestorePointAt", text(backups.lastRestorePointAt()));
        PendingPoint pending = backups.pendingPoint();
        if (pending == null) {
            json.nullField("pendingRestorePoint");
        } else {
            json.object("pendingRestorePoint").field("name", pending.name()).field("at", text(pending.at()))
                    .object("waitingFor");
            pending.waiting().forEach((node, why) -> json.field(node.toString(), why));
            json.endObject().endObject();
        }
        json.beginArray("nodes");
        for (NodeBackups b : backups.nodes()) {
            json.beginObject().field("node", b.node().toString()).field("reachable", b.reachable())
                    .field("configured", b.configured()).field("running", b.running());
            if (b.newest() == null) {
                json.nullField("lastBackup");
            } else {
                json.object("lastBackup").field("label", b.newest().label()).field("type", b.newest().type())
                        .field("finishedAt", text(b.newest().finishedAt()))
                        .field("bucketBytes", b.newest().repositoryBytes()).endObject();
            }
            json.field("lastFullAt", text(b.newestFullAt())).field("backups", b.count())
                    .field("newestRestorePoint", b.newestPoint()).field("bucketReadable", b.bucketReadable())
                    .field("lastError", b.lastError()).field("lastErrorAt", text(b.lastErrorAt()))
                    .field("failures", b.failures()).field("retryAfter", text(b.retryAfter()));
            if (b.disk() == null) {
                json.nullField("volume");
            } else {
                json.object("volume").field("bytes", b.disk().volumeBytes()).field("freeBytes", b.disk().freeBytes())
                        .field("walBytes", b.disk().walBytes()).endObject();
            }
            json.endObject();
        }
        json.endArray().endObject();
        return json.endObject().toString();
    }

    private static String text(Instant instant) {
        return instant == null ? null : instant.toString();
    }
}
