package org.citusrailway.registrar;

import java.time.Duration;
import java.util.Map;
import org.citusrailway.registrar.config.Config;
import org.citusrailway.registrar.view.Status;

/** A registrar looping on its own thread, as Main runs it, for in-process tests. */
public final class RunningRegistrar implements AutoCloseable {
    final Config config;
    public final Registrar registrar;
    private final Thread thread;

    public RunningRegistrar(Map<String, String> env) {
        this(Config.fromEnvironment(env), null);
    }

    /** Runs the given registrar (for one made as Main makes it, {@link Registrar#connectingAhead}), else a new one. */
    RunningRegistrar(Config config, Registrar registrar) {
        this.config = config;
        this.registrar = registrar != null ? registrar : new Registrar(config);
        this.thread = Thread.ofPlatform().name("registrar-loop").start(this.registrar::run);
    }

    String role() {
        return registrar.role();
    }

    public Status status() {
        return registrar.status();
    }

    boolean alive() {
        return thread.isAlive();
    }

    /** Stops and returns how long that took. */
    Duration stop() throws InterruptedException {
        long start = System.nanoTime();
        registrar.stop();
        thread.join(10_000);
        return Duration.ofNanos(System.nanoTime() - start);
    }

    @Override
    public void close() throws InterruptedException {
        stop();
    }
}
