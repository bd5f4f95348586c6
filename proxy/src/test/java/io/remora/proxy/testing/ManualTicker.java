package io.remora.proxy.testing;

import io.remora.proxy.policy.Ticker;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

/** A ticker tests move by hand. Starts at an arbitrary non-zero time, as System.nanoTime() does. */
public final class ManualTicker implements Ticker {
    private final AtomicLong now = new AtomicLong(1_000_000_000_000L);

    @Override
    public long nanoTime() {
        return now.get();
    }

    public ManualTicker advance(Duration d) {
        now.addAndGet(d.toNanos());
        return this;
    }
}
