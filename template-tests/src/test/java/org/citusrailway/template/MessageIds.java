package org.citusrailway.template;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.citusrailway.registrar.report.Event;
import org.citusrailway.registrar.result.ProbeFailure;

/** Every stable message id the project prints: the registrar's events and reasons, the node scripts' [ids]. */
final class MessageIds {
    /** A node script message: {@code citus-node: error [some-id]: ...}, written as {@code [some-id]} in the script. */
    private static final Pattern NODE_ID = Pattern.compile("\\[([a-z][a-z0-9]*(?:-[a-z0-9]+)+)\\]");

    private MessageIds() {
    }

    static Set<String> all() {
        Set<String> ids = new TreeSet<>(registrar());
        ids.addAll(nodeScripts());
        return ids;
    }

    static Set<String> registrar() {
        Set<String> ids = new TreeSet<>();
        Arrays.stream(Event.values()).map(Event::id).forEach(ids::add);
        Arrays.stream(ProbeFailure.values()).map(ProbeFailure::id).forEach(ids::add);
        return ids;
    }

    static Set<String> nodeScripts() {
        Set<String> ids = new TreeSet<>();
        for (Path script : Variables.nodeScripts()) {
            try {
                Matcher m = NODE_ID.matcher(Files.readString(script));
                while (m.find()) {
                    ids.add(m.group(1));
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return ids;
    }
}
