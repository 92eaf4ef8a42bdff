package org.citusrailway.registrar;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.util.ArrayList;
import java.util.List;
import org.citusrailway.registrar.report.Event;
import org.slf4j.LoggerFactory;
import org.slf4j.event.KeyValuePair;

/** Collects the registrar's log lines in memory for assertions. */
public final class LogCapture implements AutoCloseable {
    private final Logger logger = (Logger) LoggerFactory.getLogger("registrar");
    private final ListAppender<ILoggingEvent> appender = new ListAppender<>();

    public LogCapture() {
        appender.start();
        logger.addAppender(appender);
    }

    synchronized List<ILoggingEvent> lines() {
        synchronized (appender.list) {
            return new ArrayList<>(appender.list);
        }
    }

    static String field(ILoggingEvent line, String key) {
        if (line.getKeyValuePairs() != null) {
            for (KeyValuePair pair : line.getKeyValuePairs()) {
                if (pair.key.equals(key)) {
                    return String.valueOf(pair.value);
                }
            }
        }
        return null;
    }

    public long count(Event event) {
        return lines().stream().filter(line -> event.id().equals(field(line, "event"))).count();
    }

    public long count(Event event, String worker) {
        return lines().stream().filter(line -> event.id().equals(field(line, "event"))
                && worker.equals(field(line, "worker"))).count();
    }

    /** Every line as written, message and fields, for secret checks. */
    public String text() {
        StringBuilder out = new StringBuilder();
        for (ILoggingEvent line : lines()) {
            out.append(line.getFormattedMessage()).append(' ').append(line.getKeyValuePairs()).append('\n');
        }
        return out.toString();
    }

    @Override
    public void close() {
        logger.detachAppender(appender);
    }
}
