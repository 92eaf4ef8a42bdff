package org.citusrailway.registrar.row;

/** A row of citus_registrar.known_workers: the server_id and the coordinator's restore point when first seen. */
public record KnownWorkerRow(String serverId, String restorePoint) {
}
