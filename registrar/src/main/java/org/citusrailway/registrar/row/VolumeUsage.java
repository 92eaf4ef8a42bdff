package org.citusrailway.registrar.row;

/** The volume holding a node's PGDATA: its size and free bytes, and the size of pg_wal. */
public record VolumeUsage(long volumeBytes, long freeBytes, long walBytes) {
}
