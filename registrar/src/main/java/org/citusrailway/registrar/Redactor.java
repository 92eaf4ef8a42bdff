package org.citusrailway.registrar;

/** Removes the password from any text that leaves the process (logs, /status), whatever produced the text. */
final class Redactor {
    private final String secret;

    Redactor(String secret) {
        this.secret = secret;
    }

    String redact(String text) {
        if (text == null || secret == null || secret.isEmpty() || !text.contains(secret)) {
            return text;
        }
        return text.replace(secret, "***");
    }
}
