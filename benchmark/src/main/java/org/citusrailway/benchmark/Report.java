package org.citusrailway.benchmark;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** The printed result: one table of figure / measured / target / verdict, then the details behind it. */
final class Report {
    private record Row(String figure, String measured, String target, String verdict) {
    }

    private final List<Row> rows = new ArrayList<>();
    private final List<String> details = new ArrayList<>();

    /** A figure with a target; {@code pass} null means it could not be judged. */
    void target(String figure, String measured, String target, Boolean pass) {
        rows.add(new Row(figure, measured, target, pass == null ? "-" : pass ? "PASS" : "MISS"));
    }

    /** A figure shown for comparison, without a target. */
    void info(String figure, String measured) {
        rows.add(new Row(figure, measured, "", ""));
    }

    void skipped(String figure, String target, String why) {
        rows.add(new Row(figure, "not measured: " + why, target, "SKIPPED"));
    }

    void detail(String line) {
        details.add(line);
    }

    void print(PrintStream out) {
        int figureWidth = 10;
        int measuredWidth = 10;
        int targetWidth = 6;
        for (Row row : rows) {
            figureWidth = Math.max(figureWidth, row.figure().length());
            measuredWidth = Math.max(measuredWidth, row.measured().length());
            targetWidth = Math.max(targetWidth, row.target().length());
        }
        String format = "%-" + figureWidth + "s  %-" + measuredWidth + "s  %-" + targetWidth + "s  %s%n";
        out.printf(Locale.ROOT, format, "Figure", "Measured", "Target", "Verdict");
        out.println("-".repeat(figureWidth + measuredWidth + targetWidth + 13));
        for (Row row : rows) {
            out.printf(Locale.ROOT, format, row.figure(), row.measured(), row.target(), row.verdict());
        }
        out.println();
        details.forEach(out::println);
    }

    static String ms(double millis) {
        return String.format(Locale.ROOT, millis < 10 ? "%.2f ms" : "%.0f ms", millis);
    }

    static String mb(long kb) {
        return String.format(Locale.ROOT, "%.1f MB", kb / 1024.0);
    }

    static String percent(double value) {
        return String.format(Locale.ROOT, "%.3f %%", value);
    }
}
