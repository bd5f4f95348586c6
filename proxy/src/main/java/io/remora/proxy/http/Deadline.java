package io.remora.proxy.http;

import io.remora.proxy.policy.Ticker;

/**
 * The time by which a whole exchange must be answered, over every try and the waits between them: its instant on
 * the proxy's ticker and the timer that fires when it passes. None (zero) when neither the route nor a gRPC caller
 * set one ({@link RequestSteps#deadlineNanos}). Its timer is the downstream connection's {@link DeadlineTimer}.
 */
final class Deadline implements Runnable {
    private final Ticker ticker;
    private final Runnable expired;
    private long at;
    private DeadlineTimer timer;
    /** Its place in its timer's list of armed deadlines (the timer's to change). */
    Deadline prev;
    Deadline next;
    boolean linked;

    /** @param expired what runs when it passes (on the loop it was started on) */
    Deadline(Ticker ticker, Runnable expired) {
        this.ticker = ticker;
        this.expired = expired;
    }

    /** Starts it {@code timeoutNanos} from now, on {@code timer}; 0 starts nothing. */
    void start(long timeoutNanos, DeadlineTimer timer) {
        if (timeoutNanos > 0) {
            at = ticker.nanoTime() + timeoutNanos;
            this.timer = timer;
            timer.arm(this);
        }
    }

    /** The timer found it passed. */
    @Override
    public void run() {
        timer = null;
        expired.run();
    }

    /** Started and neither passed nor cancelled. */
    boolean armed() {
        return timer != null;
    }

    boolean set() {
        return at != 0;
    }

    /** The ticker value it falls at; 0 when none is set. */
    long at() {
        return at;
    }

    /** Nanoseconds left (negative once passed); meaningless when none is set. */
    long left() {
        return at - ticker.nanoTime();
    }

    /**
     * How long a try may take: the per-try timeout, cut to the time left.
     *
     * @return nanoseconds, at least 0
     */
    long forTry(long perTryNanos) {
        return Math.max(0, at == 0 ? perTryNanos : Math.min(perTryNanos, left()));
    }

    void cancel() {
        if (timer != null) {
            timer.disarm(this);
            timer = null;
        }
    }
}
