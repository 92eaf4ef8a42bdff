package org.citusrailway.registrar.config;

import java.util.Locale;

/**
 * How the rebalance the registrar starts copies shards (REBALANCE_TRANSFER_MODE), in Citus's own words. AUTO and
 * FORCE_LOGICAL move online: writes continue until a short final catch-up; AUTO refuses the whole rebalance when a
 * table has no primary key or replica identity, FORCE_LOGICAL moves such a table anyway and its UPDATEs and DELETEs
 * fail during the move. BLOCK_WRITES pauses writes to each shard group while it is copied, and moves every table.
 */
public enum ShardTransferMode {
    AUTO, FORCE_LOGICAL, BLOCK_WRITES;

    /** The citus.shard_transfer_mode value. */
    public String citusValue() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Whether a table without a primary key or replica identity stops this mode's rebalance. */
    public boolean needsReplicaIdentity() {
        return this == AUTO;
    }
}
