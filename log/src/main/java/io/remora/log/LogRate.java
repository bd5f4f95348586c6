package io.remora.log;

import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * Lets an event that peers can cause at will (a refused handshake, say) be logged at most once per interval, so an
 * unauthenticated peer cannot fill the log; the occurrences not logged are counted and reported with the next line
 * that is. Lock-free; shared by every event loop.
 */
public final class LogRate {
    private final long intervalNanos;
    private final LongSupplier nanoTime;
    private final AtomicLong nextAllowed;
    private final AtomicLong suppressed = new AtomicLong();

    /** @param nanoTime the clock ({@code System::nanoTime} in production) */
    public LogRate(java.time.Duration interval, LongSupplier nanoTime) {
        this.intervalNanos = interval.toNanos();
        this.nanoTime = nanoTime;
        this.nextAllowed = new AtomicLong(nanoTime.getAsLong());
    }

    /**
     * Asks to log one occurrence now: returns how many occurrences were not logged since the last line that was (0
     * or more) when this one should be logged, or -1 when it should only be counted.
     */
    public long admit() {
        long now = nanoTime.getAsLong();
        long allowed = nextAllowed.get();
        if (now - allowed >= 0 && nextAllowed.compareAndSet(allowed, now + intervalNanos)) {
            return suppressed.getAndSet(0);
        }
        suppressed.incrementAndGet();
        return -1;
    }
}
