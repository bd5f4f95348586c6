package io.remora.proxy.policy;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * The retry budget of one service: retries may add at most {@code ratio} of the requests seen over the window, plus a
 * floor of {@code minPerSecond} retries in any second so a quiet service can still retry. When an upstream fails
 * everything, retries stop at the budget instead of multiplying its load by the attempt count (retry storms).
 *
 * <p>Counts live in one-second buckets in a ring covering the window; a bucket is reset when its second comes round
 * again. Updates are lock-free; two threads crossing a second boundary together may lose a count or two, which a
 * budget can afford.
 */
public final class RetryBudget {
    private static final long BUCKET_NANOS = TimeUnit.SECONDS.toNanos(1);

    /** Never refuses; for services whose budget is off. */
    public static final RetryBudget UNLIMITED = new RetryBudget(Double.POSITIVE_INFINITY, Integer.MAX_VALUE,
            Duration.ofSeconds(1), Ticker.SYSTEM);

    private final double ratio;
    private final int minPerSecond;
    private final int buckets;
    private final Ticker ticker;
    private final long origin;
    private final boolean unlimited;
    /** Per bucket: [3i] the second it holds, [3i+1] requests, [3i+2] retries. */
    private final AtomicLongArray counts;

    public RetryBudget(double ratio, int minPerSecond, Duration window, Ticker ticker) {
        if (ratio < 0 || minPerSecond < 0) {
            throw new IllegalArgumentException("retry budget needs ratio >= 0 and minPerSecond >= 0");
        }
        this.ratio = ratio;
        this.minPerSecond = minPerSecond;
        this.buckets = (int) Math.max(1, Math.min(3600, (window.toNanos() + BUCKET_NANOS - 1) / BUCKET_NANOS));
        this.ticker = ticker;
        this.origin = ticker.nanoTime();
        this.unlimited = Double.isInfinite(ratio);
        this.counts = new AtomicLongArray(buckets * 3);
        for (int i = 0; i < buckets; i++) {
            counts.set(3 * i, -1);
        }
    }

    /** Counts a request (not a retry) towards the budget. */
    public void onRequest() {
        if (!unlimited) {
            counts.incrementAndGet(3 * bucket(second()) + 1);
        }
    }

    /** Takes one retry from the budget; false when the budget is spent and the retry must not happen. */
    public boolean tryRetry() {
        if (unlimited) {
            return true;
        }
        long now = second();
        int current = bucket(now);
        if (counts.get(3 * current + 2) < minPerSecond || retriesAllowedNow(now) > 0) {
            counts.incrementAndGet(3 * current + 2);
            return true;
        }
        return false;
    }

    /** Retries the ratio part of the budget still allows in the window (the per-second floor not included). */
    public long retriesAllowedNow() {
        return unlimited ? Long.MAX_VALUE : retriesAllowedNow(second());
    }

    private long retriesAllowedNow(long now) {
        long requests = 0;
        long retries = 0;
        for (int i = 0; i < buckets; i++) {
            long s = counts.get(3 * i);
            if (s > now - buckets && s <= now) {
                requests += counts.get(3 * i + 1);
                retries += counts.get(3 * i + 2);
            }
        }
        return (long) Math.floor(ratio * requests) - retries;
    }

    private long second() {
        return (ticker.nanoTime() - origin) / BUCKET_NANOS;
    }

    /** The bucket of second {@code s}, cleared first when it still holds an older second. */
    private int bucket(long s) {
        int i = (int) (s % buckets);
        long held = counts.get(3 * i);
        if (held != s && counts.compareAndSet(3 * i, held, s)) {
            counts.set(3 * i + 1, 0);
            counts.set(3 * i + 2, 0);
        }
        return i;
    }
}
