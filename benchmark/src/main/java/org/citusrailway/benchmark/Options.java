package org.citusrailway.benchmark;

/** Command-line options; every default is what docs/benchmark.md reports. */
record Options(int passes, int startupRuns, int idleSeconds, int latencyRounds) {

    static final String USAGE = """
            usage: java -jar benchmark/target/benchmark.jar [options]   (run from the repository root)
              --passes N          passes of the footprint runs at SCAN_INTERVAL=100ms (default 3600 = five hours at the default 5s)
              --startup-runs N    registrar starts timed with the image options (default 10; half as many plain)
              --idle-seconds N    each of the two idle-CPU windows at the default SCAN_INTERVAL (default 90)
              --latency-rounds N  worker ready -> active rounds (default 20)
            """;

    static Options parse(String[] args) {
        int passes = 3600;
        int startupRuns = 10;
        int idleSeconds = 90;
        int latencyRounds = 20;
        for (int i = 0; i < args.length; i++) {
            String name = args[i];
            if (name.equals("--help") || name.equals("-h")) {
                throw new IllegalArgumentException("");
            }
            if (i + 1 >= args.length) {
                throw new IllegalArgumentException(name + " needs a value");
            }
            int value = positive(name, args[++i]);
            switch (name) {
                case "--passes" -> passes = value;
                case "--startup-runs" -> startupRuns = value;
                case "--idle-seconds" -> idleSeconds = value;
                case "--latency-rounds" -> latencyRounds = value;
                default -> throw new IllegalArgumentException("unknown option " + name);
            }
        }
        return new Options(passes, startupRuns, idleSeconds, latencyRounds);
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
