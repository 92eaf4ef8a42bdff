package org.citusrailway.registrar.config;

import java.util.Locale;

/** libpq/pgjdbc sslmode values accepted in POSTGRES_SSLMODE. */
public enum SslMode {
    DISABLE, ALLOW, PREFER, REQUIRE, VERIFY_CA, VERIFY_FULL;

    public String jdbcValue() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }
}
