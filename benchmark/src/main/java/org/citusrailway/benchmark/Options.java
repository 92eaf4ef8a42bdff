package org.citusrailway.benchmark;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Command-line options; every default is what docs/benchmark.md reports. */
record Options(int passes, int startupRuns, int idleSeconds, int latencyRounds, List<String> extraFlags,
        List<String> coordinatorSettings, Path dockerfile, Path registrarJar) {

    static final String USAGE = """
            usage: java -jar benchmark/target/benchmark.jar [options]   (run from the repository root)
              --passes N          passes of the footprint runs at SCAN_INTERVAL=100ms (default 3600 = five hours at the default 5s)
              --startup-runs N    registrar starts timed per JVM configuration (default 10)
              --idle-seconds N    each of the two idle-CPU windows at the default SCAN_INTERVAL (default 90)
              --latency-rounds N  worker ready -> active rounds (default 20)
              --extra-flags "F"   also run the footprint with the Dockerfile's flags plus these JVM flags (what-if)
              --coordinator-setting NAME=VALUE
                                  ALTER SYSTEM on every coordinator before the runs (what-if; repeatable)
              --dockerfile PATH   default registrar/Dockerfile
              --registrar-jar P   default registrar/target/registrar.jar
            """;

    static Options parse(String[] args) {
        int passes = 3600;
        int startupRuns = 10;
        int idleSeconds = 90;
        int latencyRounds = 20;
        List<String> extraFlags = List.of();
        List<String> coordinatorSettings = new ArrayList<>();
        Path dockerfile = Path.of("registrar/Dockerfile");
        Path jar = Path.of("registrar/target/registrar.jar");
        for (int i = 0; i < args.length; i++) {
            String name = args[i];
            if (name.equals("--help") || name.equals("-h")) {
                throw new IllegalArgumentException("");
            }
            if (i + 1 >= args.length) {
                throw new IllegalArgumentException(name + " needs a value");
            }
            String value = args[++i];
            switch (name) {
                case "--passes" -> passes = positive(name, value);
                case "--startup-runs" -> startupRuns = positive(name, value);
                case "--idle-seconds" -> idleSeconds = positive(name, value);
                case "--latency-rounds" -> latencyRounds = positive(name, value);
                case "--extra-flags" -> extraFlags = new ArrayList<>(ShellWords.split(value));
                case "--coordinator-setting" -> {
                    if (!value.matches("[a-z_.]+=[A-Za-z0-9_.-]+")) {
                        throw new IllegalArgumentException(name + " takes NAME=VALUE, not \"" + value + "\"");
                    }
                    coordinatorSettings.add(value);
                }
                case "--dockerfile" -> dockerfile = Path.of(value);
                case "--registrar-jar" -> jar = Path.of(value);
                default -> throw new IllegalArgumentException("unknown option " + name);
            }
        }
        return new Options(passes, startupRuns, idleSeconds, latencyRounds, List.copyOf(extraFlags),
                List.copyOf(coordinatorSettings), dockerfile, jar);
    }

    private static int positive(String name, String value) {
        try {
            int n = Integer.parseInt(value);
            if (n > 0) {
                return n;
            }
        } catch (NumberFormatException ignored) {
            // reported below
        }
        throw new IllegalArgumentException(name + " must be a positive whole number, not \"" + value + "\"");
    }
}
