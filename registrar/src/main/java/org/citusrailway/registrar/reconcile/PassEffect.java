package org.citusrailway.registrar.reconcile;

import java.util.Arrays;
import java.util.List;
import org.citusrailway.registrar.report.Event;
import org.citusrailway.registrar.result.ProbeFailure;

/** What a pass publishes besides /status: a log line, or a counter to bump. Planned, then published in order. */
public sealed interface PassEffect {

    record Log(boolean warn, Event event, String message, List<Object> fields) implements PassEffect {
        static Log info(Event event, String message, Object... fields) {
            return new Log(false, event, message, Arrays.asList(fields));
        }

        static Log warn(Event event, String message, Object... fields) {
            return new Log(true, event, message, Arrays.asList(fields));
        }
    }

    record ProbeFailed(ProbeFailure reason) implements PassEffect {
    }

    record Added() implements PassEffect {
    }

    record Activated() implements PassEffect {
    }

    record RemovedByUser() implements PassEffect {
    }
}
