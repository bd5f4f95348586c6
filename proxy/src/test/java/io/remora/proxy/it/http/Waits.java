package io.remora.proxy.it.http;

import java.time.Duration;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;

/** Polling with a deadline: a condition either holds within the time given or the test fails. */
final class Waits {
    private static final long STEP_MILLIS = 20;

    private Waits() {
    }

    static void until(BooleanSupplier condition, Duration timeout, String what) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out after " + timeout + " waiting for " + what);
            }
            pause(STEP_MILLIS);
        }
    }

    /**
     * Waits until {@code counter} has not changed for {@code quiet} (the producer stalled), failing after
     * {@code timeout}. Returns the settled value.
     */
    static long untilStalled(LongSupplier counter, Duration quiet, Duration timeout, String what) {
        long deadline = System.nanoTime() + timeout.toNanos();
        long last = counter.getAsLong();
        long since = System.nanoTime();
        while (true) {
            pause(STEP_MILLIS);
            long now = counter.getAsLong();
            if (now != last) {
                last = now;
                since = System.nanoTime();
            } else if (System.nanoTime() - since >= quiet.toNanos()) {
                return now;
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out after " + timeout + " waiting for " + what
                        + " to stall; still moving at " + now);
            }
        }
    }

    private static void pause(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }
}
