package org.citusrailway.benchmark;

import java.nio.file.Files;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import org.citusrailway.testkit.LocalPostgres;
import org.citusrailway.testkit.PostgresBinaries;

/**
 * What TLS adds to a connection: pgjdbc connect + scram-sha-256 login + one statement + close, with sslmode=disable
 * and sslmode=require alternating against the same local server (its pg_hba.conf opened to plain TCP for the
 * comparison only). Usage: java -cp benchmark.jar org.citusrailway.benchmark.TlsConnectionCost [rounds]
 */
public final class TlsConnectionCost {
    private TlsConnectionCost() {
    }

    public static void main(String[] args) throws Exception {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 200;
        PostgresBinaries binaries = PostgresBinaries.debian(17).or(() -> PostgresBinaries.debian(15))
                .orElseGet(PostgresBinaries::embedded);
        try (LocalPostgres server = LocalPostgres.builder(binaries).start()) {
            Files.writeString(server.dataDir().resolve("pg_hba.conf"), """
                    local all all             trust
                    host  all all 127.0.0.1/32 scram-sha-256
                    """);
            server.execute("postgres", "select pg_reload_conf()");
            List<Double> plain = new ArrayList<>();
            List<Double> tls = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                connect(server, "disable");
                connect(server, "require");
            }
            for (int i = 0; i < rounds; i++) {
                plain.add(connect(server, "disable"));
                tls.add(connect(server, "require"));
            }
            System.out.printf("TLS connection cost (%s, %d rounds, pgjdbc connect + login + select 1 + close)%n",
                    binaries.label(), rounds);
            for (var mode : List.of(java.util.Map.entry("disable", plain), java.util.Map.entry("require", tls))) {
                Percentiles p = Percentiles.of(mode.getValue());
                System.out.printf("  sslmode=%-8s median %.2f ms, p95 %.2f ms%n", mode.getKey(), p.median(), p.at(95));
            }
        }
    }

    private static double connect(LocalPostgres server, String sslMode) throws SQLException {
        Properties props = new Properties();
        props.setProperty("user", LocalPostgres.SUPERUSER);
        props.setProperty("password", server.password());
        props.setProperty("sslmode", sslMode);
        long start = System.nanoTime();
        try (Connection c = DriverManager.getConnection(server.jdbcUrl("postgres"), props)) {
            c.createStatement().execute("select 1");
        }
        return (System.nanoTime() - start) / 1e6;
    }
}
