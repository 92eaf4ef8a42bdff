package org.citusrailway.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;

/**
 * A private resolver configuration for child processes, and private IPv6 addresses for servers: a process started
 * through {@link #wrap} runs in its own mount namespace where /etc/resolv.conf names a test DNS server on a
 * loopback address of this run (port 53) and /etc/hosts lists only localhost, so libc, the JVM and dnsjava all resolve
 * through that server. Each run takes its own 127.53.x.y nameserver address and its own fd00:c175::/32 prefix, added
 * to {@code lo} and removed on close, so concurrent runs do not meet. Needs root (mount, ip, port 53).
 */
public final class ResolverSandbox implements AutoCloseable {
    private final Path dir;
    private final InetAddress nameserver;
    private final String prefix;
    private final List<String> added = new ArrayList<>();
    private Path cachePidFile;

    private ResolverSandbox(Path dir, String search, String options) throws IOException {
        this.dir = dir;
        ThreadLocalRandom random = ThreadLocalRandom.current();
        this.nameserver = InetAddress.getByName("127.53." + random.nextInt(1, 255) + "." + random.nextInt(1, 255));
        this.prefix = String.format("fd00:c175:%x:%x::", random.nextInt(1, 0xffff), ProcessHandle.current().pid() & 0xffff);
        Files.writeString(dir.resolve("resolv.conf"), "nameserver " + nameserver.getHostAddress() + "\n"
                + (search == null ? "" : "search " + search + "\n") + (options == null ? "" : "options " + options + "\n"));
        Files.writeString(dir.resolve("hosts"), "127.0.0.1 localhost\n::1 localhost ip6-localhost ip6-loopback\n");
    }

    /** Why this machine cannot host a sandbox (not root, no unshare or ip, no IPv6 on lo), or empty when it can. */
    public static Optional<String> unavailableReason() {
        if (!PostgresUser.runningAsRoot()) {
            return Optional.of("not running as root: a private /etc/resolv.conf needs a mount namespace (unshare -m)"
                    + " and the test DNS server needs port 53");
        }
        for (String tool : List.of("unshare", "ip", "mount")) {
            if (!onPath(tool)) {
                return Optional.of("no " + tool + " on PATH");
            }
        }
        if (!Files.exists(Path.of("/proc/net/if_inet6"))) {
            return Optional.of("IPv6 is disabled on this machine");
        }
        return Optional.empty();
    }

    /**
     * A sandbox whose resolv.conf has the search list and options given (either may be null), files under dir.
     */
    public static ResolverSandbox create(Path dir, String search, String options) {
        try {
            return new ResolverSandbox(dir, search, options);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Where the test DNS server must listen (port 53): the only nameserver in the sandbox's resolv.conf. */
    public InetAddress nameserver() {
        return nameserver;
    }

    /** The n-th IPv6 address of this run, added to lo (without duplicate detection) on first use. */
    public synchronized InetAddress ipv6(int n) {
        String address = prefix + Integer.toHexString(n);
        if (!added.contains(address)) {
            run(List.of("ip", "-6", "addr", "add", address + "/128", "dev", "lo", "nodad"));
            added.add(address);
        }
        try {
            return InetAddress.getByName(address);
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The command, run in a new mount namespace with the sandbox's /etc/resolv.conf and /etc/hosts. */
    public List<String> wrap(List<String> command) {
        return wrap(dir, command);
    }

    private static List<String> wrap(Path dir, List<String> command) {
        List<String> full = new ArrayList<>(List.of("unshare", "--mount", "--propagation", "private", "--", "sh", "-c",
                "mount --bind \"$0\"/resolv.conf /etc/resolv.conf && mount --bind \"$0\"/hosts /etc/hosts"
                        + " && exec \"$@\"", dir.toString()));
        full.addAll(command);
        return full;
    }

    /**
     * Starts the node images' local DNS cache (node/lib/resolver.sh: unbound on 127.0.0.1:53) in front of this
     * sandbox's nameserver, as a node's entrypoint does, and returns the wrapper for processes that resolve through
     * it: their resolv.conf names the cache first, then the sandbox's nameserver. One cache serves every wrapped
     * process (each node image runs its own). Needs unbound; stopped on close.
     */
    public synchronized UnaryOperator<List<String>> nodeDnsCache(Path nodeLib) {
        Path cacheDir = dir.resolve("node-dns-cache");
        try {
            Files.createDirectories(cacheDir);
            Files.copy(dir.resolve("resolv.conf"), cacheDir.resolve("resolv.conf"),
                    StandardCopyOption.REPLACE_EXISTING);
            Files.copy(dir.resolve("hosts"), cacheDir.resolve("hosts"), StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        ProcessBuilder start = new ProcessBuilder("bash", "-c", "source \"$0\"/messages.sh && source \"$0\"/resolver.sh"
                + " && start_local_resolver", nodeLib.toString());
        start.environment().put("NODE_RESOLV_CONF", cacheDir.resolve("resolv.conf").toString());
        start.environment().put("NODE_RESOLVER_DIR", cacheDir.resolve("run").toString());
        Path log = cacheDir.resolve("start.log");
        start.redirectErrorStream(true).redirectOutput(log.toFile()); // the daemon keeps a pipe open, a file not
        cachePidFile = cacheDir.resolve("run/unbound.pid");
        try {
            boolean started = start.start().waitFor() == 0
                    && Files.readString(log).contains("local DNS cache on 127.0.0.1");
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (started && !Files.exists(cachePidFile) && System.nanoTime() < deadline) {
                Thread.sleep(20); // the daemon writes its pid file a moment after it answers
            }
            if (!started || !Files.exists(cachePidFile)) {
                throw new IllegalStateException("the node DNS cache did not start: " + Files.readString(log).strip());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
        return command -> wrap(cacheDir, command);
    }

    @Override
    public synchronized void close() {
        if (cachePidFile != null) {
            try {
                ProcessHandle.of(Long.parseLong(Files.readString(cachePidFile).trim())).ifPresent(ProcessHandle::destroy);
            } catch (IOException | NumberFormatException e) {
                // not started, or gone already
            }
            cachePidFile = null;
        }
        for (String address : added) {
            try {
                run(List.of("ip", "-6", "addr", "del", address + "/128", "dev", "lo"));
            } catch (RuntimeException e) {
                // best effort: the next address is still worth removing
            }
        }
        added.clear();
    }

    private static boolean onPath(String tool) {
        for (String entry : System.getenv().getOrDefault("PATH", "/usr/sbin:/usr/bin:/sbin:/bin").split(":")) {
            if (Files.isExecutable(Path.of(entry, tool))) {
                return true;
            }
        }
        return false;
    }

    private static void run(List<String> command) {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(10, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IllegalStateException(String.join(" ", command) + " failed: " + output.strip());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
