package org.citusrailway.template;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/** The environment variables the node scripts and the registrar read, found in their sources. */
final class Variables {
    /** Registrar: {@code read.port("COORDINATOR_PORT", …)}, {@code env.get("X")}, {@code System.getenv("X")}. */
    private static final Pattern JAVA_READ = Pattern.compile(
            "(?:read\\.\\w+|env\\.(?:get|containsKey|getOrDefault)|getenv)\\(\\s*\"([A-Z][A-Z0-9_]+)\"");
    /** Shell: {@code $NAME} or {@code ${NAME…}}. */
    private static final Pattern SHELL_USE = Pattern.compile("\\$\\{?([A-Z][A-Z0-9_]*)");
    /** Shell: a plain assignment, {@code NAME=…}, possibly after export/readonly/local. */
    private static final Pattern SHELL_ASSIGN = Pattern.compile(
            "(?m)^\\s*(?:export\\s+|readonly\\s+|local\\s+|declare\\s+-\\w+\\s+)?([A-Z][A-Z0-9_]*)=");
    /** Variables a shell provides, not the environment a user sets. */
    private static final Set<String> SHELL_BUILTINS = Set.of("BASH_SOURCE", "BASH_REMATCH", "HOME", "PATH", "UID", "EUID",
            "LINENO", "FUNCNAME", "PIPESTATUS", "IFS", "RANDOM", "SECONDS", "PWD", "BASHPID", "OSTYPE", "HOSTNAME");

    private Variables() {
    }

    static Set<String> readByTheCode() {
        Set<String> read = new TreeSet<>(registrar());
        read.addAll(nodeScripts(SHELL_USE));
        return read;
    }

    static Set<String> registrar() {
        Set<String> read = new TreeSet<>();
        try (Stream<Path> sources = DocsTest.files("registrar/src/main/java", ".java")) {
            sources.forEach(source -> collect(source, JAVA_READ, read));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return read;
    }

    /** Names used by the node scripts that the scripts do not only set themselves. */
    static Set<String> nodeScripts(Pattern use) {
        Set<String> used = new TreeSet<>();
        Set<String> assigned = new TreeSet<>();
        for (Path script : nodeScripts()) {
            collect(script, use, used);
            collect(script, SHELL_ASSIGN, assigned);
        }
        Set<String> fromEnvironment = new TreeSet<>();
        for (String name : used) {
            boolean defaulted = nodeScripts().stream().anyMatch(script -> text(script).matches(
                    "(?s).*\\$\\{" + name + ":?[-=].*"));
            if (!SHELL_BUILTINS.contains(name) && (!assigned.contains(name) || defaulted)) {
                fromEnvironment.add(name);
            }
        }
        return fromEnvironment;
    }

    /** Every script of the node, pooler and HA images: shell files under node/, pooler/ and ha/. */
    static List<Path> nodeScripts() {
        try (Stream<Path> files = Stream.of("node", "pooler", "ha").flatMap(Variables::walk)) {
            return files.filter(Files::isRegularFile)
                    .filter(p -> p.toString().endsWith(".sh") || text(p).startsWith("#!"))
                    .sorted()
                    .toList();
        }
    }

    private static Stream<Path> walk(String directory) {
        try {
            return Files.walk(ProjectFiles.resolve(directory));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Railway's own variables, the Postgres-template conventions the nodes expose for other services, and the
     * official postgres image's variables that reach its entrypoint untouched.
     */
    static boolean isRailwayOrPostgresConvention(String name) {
        return name.startsWith("RAILWAY_") || Set.of("DATABASE_URL", "DATABASE_PUBLIC_URL", "DATABASE_UNPOOLED_URL",
                "DATABASE_PUBLIC_UNPOOLED_URL", "PGHOST", "PGPORT",
                "PGUSER", "PGPASSWORD", "PGDATABASE", "POSTGRES_INITDB_ARGS").contains(name);
    }

    private static void collect(Path file, Pattern pattern, Set<String> into) {
        Matcher m = pattern.matcher(text(file));
        while (m.find()) {
            into.add(m.group(1));
        }
    }

    private static String text(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
