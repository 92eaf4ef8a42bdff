package org.citusrailway.registrar.report;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.event.Level;
import org.slf4j.spi.LoggingEventBuilder;

/**
 * Writes one line per event with a stable {@code event} id and a few key/value fields. Every text passes through the
 * redactor, so a password that somehow ended up in an error message never reaches the log.
 */
public final class EventLog {
    private static final Logger LOG = LoggerFactory.getLogger("registrar");

    private final Redactor redactor;

    public EventLog(Redactor redactor) {
        this.redactor = redactor;
    }

    public void info(Event event, String message, Object... fields) {
        write(Level.INFO, event, message, fields);
    }

    public void warn(Event event, String message, Object... fields) {
        write(Level.WARN, event, message, fields);
    }

    /** A line a planner decided on: warn or info. */
    public void line(boolean warn, Event event, String message, java.util.List<Object> fields) {
        write(warn ? Level.WARN : Level.INFO, event, message, fields.toArray());
    }

    /** fields: alternating names and values; null values are left out. */
    private void write(Level level, Event event, String message, Object[] fields) {
        LoggingEventBuilder line = LOG.atLevel(level).addKeyValue("event", event.id());
        for (int i = 0; i + 1 < fields.length; i += 2) {
            if (fields[i + 1] != null) {
                line = line.addKeyValue((String) fields[i], redactor.redact(String.valueOf(fields[i + 1])));
            }
        }
        line.log(redactor.redact(message));
    }
}
