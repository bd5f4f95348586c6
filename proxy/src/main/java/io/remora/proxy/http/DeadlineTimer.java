package io.remora.proxy.http;

import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.ScheduledFuture;
import io.remora.proxy.policy.Ticker;

import java.util.concurrent.TimeUnit;

/**
 * One timer for the deadlines of the exchanges of one downstream stream, which on HTTP/1.1 follow one another on a
 * connection. Scheduling and cancelling a timer per request costs two updates of the event loop's timer heap; here a
 * request that ends only disarms, and the next one re-arms the timer still pending when it does not fire later than
 * the new deadline. When it fires early (its request ended and a later one is armed) it is scheduled again for the
 * time left, so each connection schedules about once per timeout, not once per request.
 *
 * <p>Event-loop confined, like the exchange. {@link #close} when the stream goes, so nothing waits for a closed one.
 */
final class DeadlineTimer implements Runnable {
    private final EventExecutor loop;
    private final Ticker ticker;
    private ScheduledFuture<?> scheduled;
    /** When {@link #scheduled} fires, on the ticker. */
    private long firesAt;
    private Deadline armed;

    DeadlineTimer(EventExecutor loop, Ticker ticker) {
        this.loop = loop;
        this.ticker = ticker;
    }

    /** Runs {@code deadline} once its instant has passed, unless {@link #disarm}ed first; replaces any armed one. */
    void arm(Deadline deadline) {
        armed = deadline;
        long at = deadline.at();
        if (scheduled == null || at < firesAt) {
            cancelScheduled();
            schedule(at);
        }
    }

    void disarm(Deadline deadline) {
        if (armed == deadline) {
            armed = null;
        }
    }

    @Override
    public void run() {
        scheduled = null;
        Deadline d = armed;
        if (d == null) {
            return;
        }
        if (d.at() - ticker.nanoTime() <= 0) {
            armed = null;
            d.run();
        } else {
            schedule(d.at());
        }
    }

    /** The stream is gone: nothing fires for it any more. */
    void close() {
        armed = null;
        cancelScheduled();
    }

    private void schedule(long at) {
        firesAt = at;
        scheduled = loop.schedule(this, Math.max(0, at - ticker.nanoTime()), TimeUnit.NANOSECONDS);
    }

    private void cancelScheduled() {
        if (scheduled != null) {
            scheduled.cancel(false);
            scheduled = null;
        }
    }
}
