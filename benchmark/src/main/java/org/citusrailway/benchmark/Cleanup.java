package org.citusrailway.benchmark;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Comparator;
import java.util.Deque;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;

/**
 * Everything the benchmark started, undone once: at the end, on failure, or on Ctrl-C (shutdown hook). Servers are
 * stopped cleanly first; any child process still left (only ours: descendants of this JVM) is then killed, and the
 * temporary directory removed.
 */
final class Cleanup implements AutoCloseable {
    private final Deque<AutoCloseable> resources = new ArrayDeque<>();
    private final AtomicBoolean done = new AtomicBoolean();
    private final Path tempDir;

    Cleanup(Path tempDir) {
        this.tempDir = tempDir;
        Runtime.getRuntime().addShutdownHook(new Thread(this::close, "benchmark-cleanup"));
    }

    synchronized <T extends AutoCloseable> T register(T resource) {
        resources.push(resource);
        return resource;
    }

    @Override
    public void close() {
        if (!done.compareAndSet(false, true)) {
            return;
        }
        AutoCloseable resource;
        while ((resource = next()) != null) {
            try {
                resource.close();
            } catch (Exception e) {
                System.err.println("cleanup: " + e);
            }
        }
        ProcessHandle.current().descendants().forEach(ProcessHandle::destroyForcibly);
        try (Stream<Path> tree = Files.walk(tempDir)) {
            tree.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // already gone
        }
    }

    private synchronized AutoCloseable next() {
        return resources.poll();
    }
}
