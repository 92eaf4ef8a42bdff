package org.citusrailway.registrar.row;

import java.time.Instant;

/** One backup of a node's stanza as pgBackRest's info shows it. */
public record StanzaBackup(String label, String type, Instant finishedAt, long repositoryBytes) {
}
