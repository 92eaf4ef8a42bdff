package org.citusrailway.registrar;

import java.io.IOException;
import java.io.PrintStream;
import java.util.Map;
import java.util.Objects;
import java.util.function.IntConsumer;
import java.util.logging.Level;
import org.citusrailway.registrar.config.Config;
import org.citusrailway.registrar.config.ConfigException;
import org.citusrailway.registrar.discovery.CandidateNames;
import org.citusrailway.registrar.discovery.DnsCachePolicy;
import org.citusrailway.registrar.report.Event;
import org.citusrailway.registrar.report.HttpEndpoints;
import org.citusrailway.registrar.report.LogSetup;
import sun.misc.Signal;

/** Entry point: configuration → HTTP → loop, and a clean exit 0 on SIGTERM. */
public final class Main {
    static final int EXIT_CONFIG = 2;
    static final int EXIT_STARTUP = 1;
    private static final long SHUTDOWN_DEADLINE_MILLIS = 4000;

    /** The driver logs through java.util.logging to stderr; its warnings are ours to report, in our format. */
    private static final java.util.logging.Logger DRIVER_LOG = java.util.logging.Logger.getLogger("org.postgresql");

    private Main() {
    }

    /**
     * The configuration, or null after printing the one {@code config-invalid} line and calling exit with
     * {@link #EXIT_CONFIG}. Tests call this with their own stream and exit to check many bad values in-process.
     */
    static Config configuration(Map<String, String> env, PrintStream err, IntConsumer exit) {
        try {
            return Config.fromEnvironment(env);
        } catch (ConfigException e) {
            err.println(Event.CONFIG_INVALID.id() + ": " + e.getMessage());
            err.flush();
            exit.accept(EXIT_CONFIG);
            return null;
        }
    }

    /** Image build time only (registrar/aot-training.sh); a failure fails the build with one line. */
    private static void train(Config config) {
        try {
            Training.run(config);
        } catch (IllegalStateException | java.io.UncheckedIOException e) {
            System.err.println(Event.TRAINING_FAILED.id() + ": " + e.getMessage());
            System.exit(EXIT_STARTUP);
        } catch (InterruptedException e) {
            System.exit(EXIT_STARTUP);
        }
    }

    public static void main(String[] args) {
        // First, before any lookup can happen: the JVM's DNS cache would delay discovery by up to 30 s.
        DnsCachePolicy.disableJvmCaching();
        String mode = args.length > 0 ? args[0] : "";
        if (mode.equals("--version")) {
            System.out.println("citus-registrar " + Objects.requireNonNullElse(Main.class.getPackage()
                    .getImplementationVersion(), "development"));
            return;
        }
        if (!mode.isEmpty() && !mode.equals("--train")) {
            System.err.println("usage: java -jar registrar.jar [--version | --train]; configuration comes from the"
                    + " environment (see docs/railway-template.md)");
            System.exit(EXIT_CONFIG);
        }
        Config config = configuration(System.getenv(), System.err, System::exit);
        if (config == null) {
            return;
        }
        DRIVER_LOG.setLevel(Level.OFF);
        System.setProperty(LogSetup.FORMAT_PROPERTY, config.logFormat().name());
        if (mode.equals("--train")) {
            train(config);
            return;
        }

        // The connection first, on its own thread: logging and HTTP start meanwhile.
        Registrar registrar = Registrar.connectingAhead(config);
        HttpEndpoints http;
        try {
            http = HttpEndpoints.start(config.httpPort(), registrar::running, registrar::statusJson,
                    registrar::metricsText);
        } catch (IOException e) {
            System.err.println(Event.HTTP_FAILED.id() + ": PORT " + config.httpPort() + ": " + e.getMessage());
            System.exit(EXIT_STARTUP);
            return;
        }
        Runnable shutdown = () -> {
            registrar.log().info(Event.REGISTRAR_STOPPING, "stopping");
            registrar.stop();
            // A safety net: whatever still blocks, the process is gone well within Railway's drain time.
            Thread.ofPlatform().daemon().name("shutdown-deadline").start(() -> {
                try {
                    Thread.sleep(SHUTDOWN_DEADLINE_MILLIS);
                } catch (InterruptedException ignored) {
                    // exiting anyway
                }
                Runtime.getRuntime().halt(0);
            });
        };
        Signal.handle(new Signal("TERM"), signal -> shutdown.run());
        Signal.handle(new Signal("INT"), signal -> shutdown.run());

        registrar.log().info(Event.REGISTRAR_STARTED, "registrar started: coordinator " + config.coordinator()
                        + ", " + CandidateNames.of(config).size() + " candidate names, every " + config.scanInterval()
                        .toMillis() + "ms, http port " + http.port(),
                "coordinator", config.coordinator(), "httpPort", http.port());
        registrar.run();

        http.close();
        registrar.log().info(Event.REGISTRAR_STOPPED, "stopped");
        System.out.flush();
        // Anything still blocked (a probe in a native DNS call) must not keep the process alive.
        Runtime.getRuntime().halt(0);
    }
}
