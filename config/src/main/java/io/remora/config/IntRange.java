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
    static final IntRange PERCENT = new IntRange(0, 100, "a percentage 0-100");
    static final IntRange ATTEMPTS = new IntRange(1, 10, "an integer 1-10 (tries in total; 1 means no retries)");
    static final IntRange HTTP_STATUS = new IntRange(100, 599, "an HTTP status 100-599");
    static final IntRange ABORT_STATUS = new IntRange(200, 599, "an HTTP status 200-599");
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
