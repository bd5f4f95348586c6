package io.remora.proxy.http;

import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.ScheduledFuture;
import io.remora.proxy.policy.Ticker;

import java.util.concurrent.TimeUnit;

/**
 * One timer for the deadlines of the exchanges of one downstream connection: on HTTP/1.1 they follow one another, on
 * HTTP/2 each open stream has one. Scheduling and cancelling a timer per request costs two updates of the event
 * loop's timer heap; here a deadline that ends is only unlinked from this timer's list, and one armed no earlier than
 * the pending timer fires is only linked. When the timer fires it runs the deadlines that have passed and schedules
 * itself again for the earliest left, so a connection schedules about once per timeout, not once per request, and
 * the scan it does then is over the deadlines armed at that moment (one on HTTP/1.1, the open streams on HTTP/2).
 *
 * <p>Event-loop confined, like the exchanges. {@link #close} when the connection goes, so nothing waits for it.
 */
final class DeadlineTimer implements Runnable {
    private final EventExecutor loop;
    private final Ticker ticker;
    private ScheduledFuture<?> scheduled;
    /** When {@link #scheduled} fires, on the ticker. */
    private long firesAt;
    /** The armed deadlines, linked through {@link Deadline#prev} and {@link Deadline#next}, oldest first. */
    private Deadline first;
    private Deadline last;

    DeadlineTimer(EventExecutor loop, Ticker ticker) {
        this.loop = loop;
        this.ticker = ticker;
    }

    /** Runs {@code deadline} once its instant has passed, unless {@link #disarm}ed first; arming it again moves it. */
    void arm(Deadline deadline) {
        unlink(deadline);
        link(deadline);
        long at = deadline.at();
        if (scheduled == null || at - firesAt < 0) {
            cancelScheduled();
            schedule(at);
        }
    }

    void disarm(Deadline deadline) {
        unlink(deadline);
    }

    @Override
    public void run() {
        scheduled = null;
        // One passed deadline at a time: running one may disarm, arm or close others (a cut connection ends every
        // exchange on it), so the list is walked afresh after each.
        while (true) {
            long now = ticker.nanoTime();
            Deadline due = null;
            boolean left = false;
            long next = 0;
            for (Deadline d = first; d != null; d = d.next) {
                if (d.at() - now <= 0) {
                    due = d;
                    break;
                }
                if (!left || d.at() - next < 0) {
                    next = d.at();
                    left = true;
                }
            }
            if (due == null) {
                if (left && (scheduled == null || next - firesAt < 0)) {
                    cancelScheduled();
                    schedule(next);
                }
                return;
            }
            unlink(due);
            due.run();
        }
    }

    /** The connection is gone: nothing fires for it any more. */
    void close() {
        while (first != null) {
            unlink(first);
        }
        cancelScheduled();
    }

    private void link(Deadline d) {
        d.prev = last;
        if (last == null) {
            first = d;
        } else {
            last.next = d;
        }
        last = d;
        d.linked = true;
    }

    private void unlink(Deadline d) {
        if (!d.linked) {
            return;
        }
        if (d.prev == null) {
            first = d.next;
        } else {
            d.prev.next = d.next;
        }
        if (d.next == null) {
            last = d.prev;
        } else {
            d.next.prev = d.prev;
        }
        d.prev = null;
        d.next = null;
        d.linked = false;
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
