package io.remora.bench;

import java.util.Arrays;

/**
 * Nearest-rank percentiles of a sample: the p-th percentile is the smallest value such that at least p % of the
 * sample is at or below it (so p100 is the maximum, and a percentile is always a value that was measured).
 */
final class Percentiles {
    private final long[] sorted;

    Percentiles(long[] values) {
        this.sorted = values.clone();
        Arrays.sort(sorted);
    }

    int count() {
        return sorted.length;
    }

    /** @param p in (0, 100] */
    long at(double p) {
        if (sorted.length == 0) {
            throw new IllegalStateException("no values");
        }
        if (!(p > 0 && p <= 100)) {
            throw new IllegalArgumentException("percentile must be in (0, 100], got " + p);
        }
        int rank = (int) Math.ceil(p / 100.0 * sorted.length);
        return sorted[Math.max(0, rank - 1)];
    }

    long max() {
        return at(100);
    }

    long min() {
        return sorted[0];
    }

    /** How many values are at or below {@code limit}. */
    int atMost(long limit) {
        int i = Arrays.binarySearch(sorted, limit);
        if (i < 0) {
            return -i - 1;
        }
        while (i + 1 < sorted.length && sorted[i + 1] == limit) {
            i++;
        }
        return i + 1;
    }
}
