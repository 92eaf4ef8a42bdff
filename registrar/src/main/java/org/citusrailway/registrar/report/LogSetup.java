package org.citusrailway.registrar.report;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.JsonEncoder;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.Configurator;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.encoder.Encoder;
import ch.qos.logback.core.spi.ContextAwareBase;

/**
 * Configures logback in code (registered as a service): no XML parsing at start-up. Everything goes to stdout, since
 * Railway shows stderr lines as errors; JSON lines there become structured logs.
 */
public final class LogSetup extends ContextAwareBase implements Configurator {
    /** Set by Main from LOG_FORMAT before the first logger is created. */
    public static final String FORMAT_PROPERTY = "registrar.log.format";

    @Override
    public ExecutionStatus configure(LoggerContext context) {
        String chosen = System.getProperty(FORMAT_PROPERTY);
        LogFormat format = chosen != null ? LogFormat.valueOf(chosen) : LogFormat.defaultFor(System.getenv());
        ConsoleAppender<ILoggingEvent> appender = new ConsoleAppender<>();
        appender.setContext(context);
        appender.setName("stdout");
        appender.setEncoder(encoder(format, context));
        appender.start();
        ch.qos.logback.classic.Logger root = context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        root.setLevel(Level.INFO);
        root.addAppender(appender);
        return ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY;
    }

    private static Encoder<ILoggingEvent> encoder(LogFormat format, LoggerContext context) {
        if (format == LogFormat.JSON) {
            JsonEncoder json = new JsonEncoder();
            json.setContext(context);
            // Keep lines short: timestamp, level, the event fields and the message.
            json.setWithSequenceNumber(false);
            json.setWithNanoseconds(false);
            json.setWithContext(false);
            json.setWithThreadName(false);
            json.setWithLoggerName(false);
            json.setWithMDC(false);
            json.setWithMarkers(false);
            json.setWithArguments(true); // only third-party lines have placeholders; keep their values
            json.setWithFormattedMessage(false);
            json.start();
            return json;
        }
        PatternLayoutEncoder text = new PatternLayoutEncoder();
        text.setContext(context);
        text.setPattern("%d{HH:mm:ss.SSS} %-5level %msg  %kvp%n");
        text.start();
        return text;
    }
}
