package io.remora.config.testing;

import java.time.Duration;
import java.util.Optional;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * Polling with a deadline, for what a test cannot be told about and has to look at again: a condition either holds
 * within the time given or the test fails, saying what it waited for and what it saw last. Every test that waits
 * polls through here, so a wait is never a bare {@code Thread.sleep} loop and never gives up without failing.
 *
 * <pre>{@code
 * Eventually.within(Duration.ofSeconds(10)).untilPasses(() -> assertThat(scrape()).contains("..."));
 * String line = Eventually.within(WAIT).unless(() -> !process.isAlive())
 *         .untilFound("the ready line", () -> lines.stream().filter(l -> l.contains("ready")).findFirst());
 * }</pre>
 */
public final class Eventually {
    /** Something that throws (an {@link AssertionError}, an exception) until it is so. */
    @FunctionalInterface
    public interface Check {
        void run() throws Exception;
    }

    /** Something that is false, or throws, until it is so. */
    @FunctionalInterface
    public interface Condition {
        boolean holds() throws Exception;
    }

    /** Something that is empty, or throws, until it is there. */
    @FunctionalInterface
    public interface Probe<T> {
        Optional<T> find() throws Exception;
    }

    private static final Duration STEP = Duration.ofMillis(20);

    private final Duration timeout;
    private final Duration step;
    private final BooleanSupplier hopeless;
    private final Supplier<String> context;

    private Eventually(Duration timeout, Duration step, BooleanSupplier hopeless, Supplier<String> context) {
        this.timeout = timeout;
        this.step = step;
        this.hopeless = hopeless;
        this.context = context;
    }

    /** Polls every 20 ms for at most {@code timeout}. */
    public static Eventually within(Duration timeout) {
        return new Eventually(timeout, STEP, () -> false, () -> "");
    }

    /** {@code within(timeout).untilPasses(check)}. */
    public static void eventually(Duration timeout, Check check) throws Exception {
        within(timeout).untilPasses(check);
    }

    /** {@code within(timeout).until(what, condition)}. */
    public static void eventually(Duration timeout, String what, Condition condition) {
        within(timeout).until(what, condition);
    }

    /** Polls every {@code step} instead. */
    public Eventually every(Duration step) {
        return new Eventually(timeout, step, hopeless, context);
    }

    /** Fails at once, not at the deadline, when {@code hopeless} holds after a try (a process that exited). */
    public Eventually unless(BooleanSupplier hopeless) {
        return new Eventually(timeout, step, hopeless, context);
    }

    /** Appends {@code context} (the output so far...) to the failure's message. */
    public Eventually reporting(Supplier<String> context) {
        return new Eventually(timeout, step, hopeless, context);
    }

    /** Runs {@code check} until it passes; at the deadline its last failure is thrown as it is. */
    public void untilPasses(Check check) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            try {
                check.run();
                return;
            } catch (InterruptedException e) {
                throw e;
            } catch (AssertionError | Exception e) {
                if (System.nanoTime() > deadline || hopeless.getAsBoolean()) {
                    String more = context.get();
                    if (!more.isEmpty()) {
                        e.addSuppressed(new AssertionError(more));
                    }
                    throw e;
                }
            }
            Thread.sleep(step.toMillis());
        }
    }

    /** Polls {@code condition} until it holds; else fails naming {@code what} and the last exception it threw. */
    public void until(String what, Condition condition) {
        untilFound(what, () -> condition.holds() ? Optional.of(Boolean.TRUE) : Optional.empty());
    }

    /** Polls {@code probe} until it finds something, and returns that; else fails naming {@code what}. */
    public <T> T untilFound(String what, Probe<T> probe) {
        long deadline = System.nanoTime() + timeout.toNanos();
        Throwable last = null;
        while (true) {
            try {
                Optional<T> found = probe.find();
                if (found.isPresent()) {
                    return found.get();
                }
                last = null;
            } catch (InterruptedException e) {
                throw interrupted(what, e);
            } catch (AssertionError | Exception e) {
                last = e;
            }
            if (System.nanoTime() > deadline) {
                throw failure("not within " + timeout.toMillis() + " ms: " + what, last);
            }
            if (hopeless.getAsBoolean()) {
                throw failure("gave up waiting for " + what, last);
            }
            pause(what);
        }
    }

    /**
     * Waits until {@code counter} has moved past zero and then not changed for {@code quiet} (a producer that
     * stalled), and returns the settled value; fails if it is still moving, or never moved, at the deadline.
     */
    public long untilStalled(String what, LongSupplier counter, Duration quiet) {
        long deadline = System.nanoTime() + timeout.toNanos();
        long last = counter.getAsLong();
        long since = System.nanoTime();
        while (true) {
            pause(what);
            long now = counter.getAsLong();
            if (now != last || now == 0) {
                last = now;
                since = System.nanoTime();
            } else if (System.nanoTime() - since >= quiet.toNanos()) {
                return now;
            }
            if (System.nanoTime() > deadline) {
                throw failure("not within " + timeout.toMillis() + " ms: " + what + " to stall; at " + now, null);
            }
        }
    }

    /** Sleeps one step; an interrupted wait fails the test (keeping the interrupt) rather than going on. */
    private void pause(String what) {
        try {
            Thread.sleep(step.toMillis());
        } catch (InterruptedException e) {
            throw interrupted(what, e);
        }
    }

    private static AssertionError interrupted(String what, InterruptedException e) {
        Thread.currentThread().interrupt();
        return new AssertionError("interrupted waiting for " + what, e);
    }

    private AssertionError failure(String message, Throwable last) {
        String more = context.get();
        return new AssertionError(message + (last == null ? "" : " (last: " + last + ")")
                + (more.isEmpty() ? "" : "\n" + more), last);
    }
}
