package org.citusrailway.benchmark;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/** Nearest-rank percentiles of a sample. */
record Percentiles(List<Double> sorted) {

    static Percentiles of(List<Double> values) {
        List<Double> copy = new ArrayList<>(values);
        Collections.sort(copy);
        return new Percentiles(List.copyOf(copy));
    }

    int count() {
        return sorted.size();
    }

    double at(double percent) {
        if (sorted.isEmpty()) {
            return Double.NaN;
        }
        int rank = (int) Math.ceil(percent / 100.0 * sorted.size());
        return sorted.get(Math.max(0, Math.min(sorted.size() - 1, rank - 1)));
    }

    double median() {
        return at(50);
    }

    double max() {
        return sorted.isEmpty() ? Double.NaN : sorted.get(sorted.size() - 1);
    }

    double min() {
        return sorted.isEmpty() ? Double.NaN : sorted.get(0);
    }
}
