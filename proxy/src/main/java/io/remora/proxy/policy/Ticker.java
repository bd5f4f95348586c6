package io.remora.proxy.policy;

/**
 * A monotonic nanosecond clock. Every time-based policy (budgets, buckets, ejections) reads time through one, so
 * tests drive it by hand instead of sleeping.
 */
@FunctionalInterface
public interface Ticker {
    /** {@link System#nanoTime()}. */
    Ticker SYSTEM = System::nanoTime;

    /** Nanoseconds from an arbitrary origin; only differences mean anything. */
    long nanoTime();
}
