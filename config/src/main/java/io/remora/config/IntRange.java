package io.remora.config;

/**
 * The integers a field accepts, and how an error message describes them.
 *
 * @param min         smallest accepted value
 * @param max         largest accepted value
 * @param description what an error says was expected, e.g. {@code a non-negative integer}
 */
record IntRange(int min, int max, String description) {
    static final IntRange ANY = new IntRange(Integer.MIN_VALUE, Integer.MAX_VALUE, "an integer");
    static final IntRange NON_NEGATIVE = new IntRange(0, Integer.MAX_VALUE, "a non-negative integer");
    static final IntRange POSITIVE = new IntRange(1, Integer.MAX_VALUE, "a positive integer");
    static final IntRange PORT = new IntRange(1, 65535, "a port number 1-65535");
    static final IntRange THREADS = new IntRange(0, Defaults.MAX_THREADS,
            "an integer 0-" + Defaults.MAX_THREADS + " (0 means one per core)");

    IntRange {
        if (min > max) {
            throw new IllegalArgumentException("empty range " + min + ".." + max);
        }
    }

    boolean contains(long value) {
        return value >= min && value <= max;
    }
}
