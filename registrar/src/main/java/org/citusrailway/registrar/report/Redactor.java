package org.citusrailway.registrar.report;

/** Removes the password from any text that leaves the process (logs, /status), whatever produced the text. */
public final class Redactor {
    private final String secret;

    public Redactor(String secret) {
        this.secret = secret;
    }

    public String redact(String text) {
        if (text == null || secret == null || secret.isEmpty() || !text.contains(secret)) {
            return text;
        }
        return text.replace(secret, "***");
    }
}
