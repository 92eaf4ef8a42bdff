package org.citusrailway.registrar.report;

import java.io.Console;
import java.util.Map;

/** How log lines are written: JSON lines for Railway's structured logs, plain text for people at a terminal. */
public enum LogFormat {
    JSON, TEXT;

    /** JSON on Railway and whenever output is not a terminal (log collectors); text on a terminal. */
    public static LogFormat defaultFor(Map<String, String> env) {
        if (env.containsKey("RAILWAY_ENVIRONMENT") || env.containsKey("RAILWAY_SERVICE_ID")) {
            return JSON;
        }
        return onTerminal() ? TEXT : JSON;
    }

    /** Since JDK 22 System.console() exists even when redirected; isTerminal() (22+) tells the truth. */
    private static boolean onTerminal() {
        Console console = System.console();
        if (console == null) {
            return false;
        }
        try {
            return (Boolean) Console.class.getMethod("isTerminal").invoke(console);
        } catch (ReflectiveOperationException e) {
            return true;
        }
    }
}
