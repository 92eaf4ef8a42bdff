package org.citusrailway.registrar.report;

/**
 * Every kind of line the registrar writes, with a stable id: the {@code event} field of JSON logs. Each id is explained
 * in TROUBLESHOOTING.md; add new kinds here and there together.
 */
public enum Event {
    /** Configuration invalid; printed on stderr as "config-invalid: VARIABLE: problem", exit code 2. */
    CONFIG_INVALID("config-invalid"),
    /** The HTTP port cannot be bound; printed on stderr as "http-failed: PORT n: problem", exit code 1. */
    HTTP_FAILED("http-failed"),
    /** The image build's AOT training run failed; printed on stderr as "training-failed: problem". */
    TRAINING_FAILED("training-failed"),
    /** Configuration valid, HTTP listening, loop starting. */
    REGISTRAR_STARTED("registrar-started"),
    /** SIGTERM/SIGINT received; stopping the loop and closing connections. */
    REGISTRAR_STOPPING("registrar-stopping"),
    /** Stopped cleanly; the process exits with 0. */
    REGISTRAR_STOPPED("registrar-stopped"),
    /** A coordinator session was opened. */
    COORDINATOR_CONNECTED("coordinator-connected"),
    /** The coordinator cannot be reached or its session broke; retried with backoff. */
    COORDINATOR_UNREACHABLE("coordinator-unreachable"),
    /** Connected, but the citus extension is not created in POSTGRES_DB on the coordinator yet. */
    COORDINATOR_NOT_READY("coordinator-not-ready"),
    /** citus_set_coordinator_host was called because the coordinator's own row was missing or wrong. */
    COORDINATOR_HOST_SET("coordinator-host-set"),
    /** citus_set_coordinator_host failed; retried next pass. */
    COORDINATOR_HOST_FAILED("coordinator-host-failed"),
    /** This registrar took the advisory lock and now acts. */
    LEADER_ACQUIRED("leader-acquired"),
    /** Another registrar holds the advisory lock; this one watches and takes over when it goes away. */
    STANDBY("standby"),
    /** The leader's coordinator session was lost; it stops acting until it holds the lock again. */
    LEADERSHIP_LOST("leadership-lost"),
    /** citus_registrar.retired_workers did not exist and was created on the coordinator. */
    RETIRED_TABLE_CREATED("retired-table-created"),
    /** A candidate name started to resolve. */
    WORKER_FOUND("worker-found"),
    /** A candidate name that resolved before no longer does (not registered, so nothing else happens). */
    WORKER_VANISHED("worker-vanished"),
    /**
     * Some names got no answer within DNS_TIMEOUT (after every retry) or the server failed them: logged once when a
     * pass first has such names, with how many and which. Registered workers are judged by their last addresses.
     */
    DNS_TROUBLE("dns-trouble"),
    /** Every name got an answer again after DNS trouble: logged once, with how long it lasted. */
    DNS_RECOVERED("dns-recovered"),
    /** A found worker failed its probe; the reason field says why. Logged when the reason changes. */
    PROBE_FAILED("probe-failed"),
    /** citus_add_node succeeded. */
    WORKER_ADDED("worker-added"),
    /** citus_add_node failed; Citus's error text is included. Retried with backoff. */
    WORKER_ADD_FAILED("worker-add-failed"),
    /** citus_activate_node succeeded for a registered, inactive worker that probed healthy. */
    WORKER_ACTIVATED("worker-activated"),
    /** citus_activate_node failed; Citus's error text is included. Retried with backoff. */
    WORKER_ACTIVATE_FAILED("worker-activate-failed"),
    /**
     * A registered worker did not accept TCP connections (or its name stopped resolving) for WORKER_LOST_AFTER, at
     * every check. Never removed automatically.
     */
    WORKER_LOST("worker-lost"),
    /** Reminder that a registered worker is still lost, at growing intervals. */
    WORKER_STILL_LOST("worker-still-lost"),
    /** A lost registered worker answers again. */
    WORKER_RECOVERED("worker-recovered"),
    /** A worker listed in citus_registrar.retired_workers was found; it is left alone. */
    WORKER_RETIRED("worker-retired"),
    /** citus_registrar.known_workers did not exist and was created on the coordinator. */
    KNOWN_TABLE_CREATED("known-table-created"),
    /**
     * A worker this registrar had registered (recorded in citus_registrar.known_workers) is gone from pg_dist_node
     * but still resolves: a user removed it. It is recorded in retired_workers and never re-added automatically.
     */
    WORKER_REMOVED_BY_USER("worker-removed-by-user"),
    /** A known worker is gone from pg_dist_node and retired or no longer resolving; the registrar forgets it. */
    WORKER_FORGOTTEN("worker-forgotten"),
    /**
     * A registered worker answers with another Citus server_id than when it was registered: its data directory was
     * wiped and re-initialised, so its shards are gone. Reported with backoff; never activated.
     */
    WORKER_REINITIALISED("worker-reinitialised"),
    /** The registrar started citus_rebalance_start() (or found one running and follows it). */
    REBALANCE_STARTED("rebalance-started"),
    /** A followed rebalance job moved on: done/total tasks (on change of the done count, at most every ~10 s). */
    REBALANCE_PROGRESS("rebalance-progress"),
    /** The followed rebalance job finished, or Citus found no moves to make. */
    REBALANCE_FINISHED("rebalance-finished"),
    /** The rebalance job failed or was cancelled, or could not be started; Citus's error text is included. */
    REBALANCE_FAILED("rebalance-failed"),
    /** A rebalance is needed but tables without primary key or replica identity cannot move online; names them. */
    REBALANCE_BLOCKED("rebalance-blocked"),
    /** A worker has no shards but REBALANCE_ON_JOIN=false: start the rebalance yourself. */
    REBALANCE_NEEDED("rebalance-needed"),
    /** A node's WAL archiver keeps failing (its latest attempt failed); its WAL piles up in pg_wal. Said once. */
    WAL_ARCHIVE_FAILING("wal-archive-failing"),
    /** A node that was failing to archive its WAL archives again. */
    WAL_ARCHIVE_RECOVERED("wal-archive-recovered"),
    /** The leader starts a scheduled backup of a node (full or diff). */
    BACKUP_STARTED("backup-started"),
    /** A scheduled backup of a node finished; its label and size in the bucket. */
    BACKUP_COMPLETED("backup-completed"),
    /** A scheduled backup failed (pgBackRest's error); retried after 5 min, doubling up to 1 h; said at 1, 2, 4 … */
    BACKUP_FAILED("backup-failed"),
    /**
     * A cluster-wide restore point is restorable: written on every node, the WAL holding it archived in every node's
     * bucket, and noted in every stanza. Only then is it announced, counted and shown as the newest point.
     */
    RESTORE_POINT_CREATED("restore-point-created"),
    /**
     * A restore point written on every node is not restorable yet: named nodes have not archived the WAL holding it
     * (their archiving fails, or they are unreachable). Said once per point; no newer point is made until it is.
     */
    RESTORE_POINT_PENDING("restore-point-pending"),
    /** A pending point's node left the primaries (failover, lost worker) before archiving it: never announced. */
    RESTORE_POINT_ABANDONED("restore-point-abandoned"),
    /** citus_create_restore_point failed (for example a lock it waits for is held longer than LOCK_TIMEOUT). */
    RESTORE_POINT_FAILED("restore-point-failed"),
    /** A restore point was created but could not be noted in some nodes' stanzas (no backup there yet, bucket down). */
    RESTORE_POINT_UNNOTED("restore-point-unnoted"),
    /** Some nodes have a bucket and others not: the cluster cannot be restored as a whole. Said once per change. */
    BACKUPS_INCOMPLETE("backups-incomplete"),
    /** A node's volume has less free space than VOLUME_FREE_ALERT_PERCENT. Said once until it recovers. */
    VOLUME_NEARLY_FULL("volume-nearly-full"),
    /** A node's volume has free space again (5 points above the alert threshold). */
    VOLUME_SPACE_RECOVERED("volume-space-recovered"),
    /**
     * A registered worker's data is from another point in time than the coordinator's (restored to another point, or
     * not restored with the cluster): disabled if it was active, never activated, until it is restored to the
     * coordinator's point.
     */
    WORKER_RESTORE_MISMATCH("worker-restore-mismatch"),
    /**
     * Such a worker could not be disabled (Citus refuses while it holds the only copy of shards): said once; it keeps
     * serving until it is restored to the coordinator's point.
     */
    WORKER_DISABLE_FAILED("worker-disable-failed"),
    /** A pass failed for an unexpected reason; retried with backoff. */
    PASS_FAILED("pass-failed");

    private final String id;

    Event(String id) {
        this.id = id;
    }

    public String id() {
        return id;
    }
}
