package org.citusrailway.registrar.result;

/** Why a worker is not registered (or re-activated) yet; the id is what /status, /metrics and the log show. */
public enum ProbeFailure {
    /** No TCP connection: refused, timed out, no route. */
    UNREACHABLE("unreachable", false),
    /** PostgreSQL answered "the database system is starting up" (or shutting down / in recovery). */
    STARTING_UP("starting-up", false),
    /** Password or user rejected (SQLSTATE 28P01 / 28000). */
    AUTH_FAILED("auth-failed", true),
    /** POSTGRES_DB does not exist on the worker (3D000). */
    DATABASE_MISSING("database-missing", true),
    /** The citus extension is not created in POSTGRES_DB on the worker. */
    CITUS_MISSING("citus-missing", true),
    /** Citus is installed at a different version than on the coordinator. */
    CITUS_VERSION_MISMATCH("citus-version-mismatch", true),
    /** The name leads to the coordinator itself (same Citus server_id). */
    IS_COORDINATOR("is-coordinator", true),
    /** Same Citus server_id as a registered worker or another candidate: a copy or a second name for one node. */
    DUPLICATE_SERVER_ID("duplicate-server-id", true),
    /** Restored to another restore point than the coordinator, or not restored with it: data from another time. */
    RESTORE_POINT_MISMATCH("restore-point-mismatch", true),
    /** Anything else; the detail says what. */
    PROBE_ERROR("probe-error", true);

    private final String id;
    private final boolean costly;

    ProbeFailure(String id, boolean costly) {
        this.id = id;
        this.costly = costly;
    }

    public String id() {
        return id;
    }

    /**
     * Whether the failed probe got as far as authenticating (SCRAM costs CPU on both ends), so repeating it every
     * pass is wasteful. Cheap failures are retried every pass so a worker that just came up is picked up at once.
     */
    public boolean costly() {
        return costly;
    }
}
