package org.citusrailway.registrar.config;

/** A configuration value that cannot be used; the message is the single line printed before exit code 2. */
public final class ConfigException extends RuntimeException {
    private final String variable;

    public ConfigException(String variable, String problem) {
        super(variable + ": " + problem);
        this.variable = variable;
    }

    public String variable() {
        return variable;
    }

    /** No stack trace: it is never printed, and filling it costs start-up time. */
    @Override
    public synchronized Throwable fillInStackTrace() {
        return this;
    }
}
