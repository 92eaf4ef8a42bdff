package org.citusrailway.registrar.row;

/**
 * A group's last change of primary, from Patroni's history (GET /history on the primary): the timeline it began, when,
 * and the member that became primary.
 */
public record Failover(long timeline, String at, String newPrimary) {
}
