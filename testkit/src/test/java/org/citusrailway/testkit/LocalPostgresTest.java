package org.citusrailway.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Properties;
import org.junit.jupiter.api.Test;

class LocalPostgresTest {

    @Test
    void embeddedPostgres17StartsWithScramAndRejectsAWrongPassword() throws Exception {
        try (LocalPostgres pg = LocalPostgres.builder(PostgresBinaries.embedded()).password("s3cret").start()) {
            try (Connection c = pg.connect(); ResultSet rs = c.createStatement().executeQuery(
                    "select current_setting('server_version_num')::int / 10000, current_setting('password_encryption')")) {
                rs.next();
                assertEquals(17, rs.getInt(1));
                assertEquals("scram-sha-256", rs.getString(2));
            }
            Properties wrong = new Properties();
            wrong.setProperty("user", "postgres");
            wrong.setProperty("password", "nope");
            SQLException e = assertThrows(SQLException.class,
                    () -> DriverManager.getConnection(pg.jdbcUrl("postgres"), wrong).close());
            assertTrue(e.getMessage().contains("password authentication failed"), e.getMessage());
        }
    }

    @Test
    void aKilledServerComesBackWithItsData() throws Exception {
        try (LocalPostgres pg = LocalPostgres.builder(PostgresBinaries.embedded()).start()) {
            pg.execute("postgres", "create table t(x int)", "insert into t values (42)");
            pg.kill();
            assertTrue(!pg.isRunning());
            pg.start();
            try (Connection c = pg.connect(); ResultSet rs = c.createStatement().executeQuery("select x from t")) {
                rs.next();
                assertEquals(42, rs.getInt(1));
            }
        }
    }
}
