package io.remora.proxy.policy;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A token bucket for local rate limiting: holds at most {@code maxTokens}; {@code tokensPerFill} are added every
 * {@code fillInterval}; a request takes one or is refused (429, flag {@code RL}). Refills are computed from the
 * ticker when a request arrives, so an idle bucket costs nothing. Shared by every event loop, lock-free.
 */
public final class TokenBucket {
    private final long maxTokens;
    private final long tokensPerFill;
    private final long fillNanos;
    private final Ticker ticker;
    private final long origin;
    /** Fills done so far, counted from {@link #origin}. */
    private final AtomicLong fills = new AtomicLong();
    private final AtomicLong tokens;

    public TokenBucket(int maxTokens, int tokensPerFill, Duration fillInterval, Ticker ticker) {
        if (maxTokens < 1 || tokensPerFill < 1 || fillInterval.isNegative() || fillInterval.isZero()) {
            throw new IllegalArgumentException("token bucket needs maxTokens >= 1, tokensPerFill >= 1, fillInterval > 0");
        }
        this.maxTokens = maxTokens;
        this.tokensPerFill = tokensPerFill;
        this.fillNanos = fillInterval.toNanos();
        this.ticker = ticker;
        this.origin = ticker.nanoTime();
        this.tokens = new AtomicLong(maxTokens);
    }

    /** Takes a token; false when none is left. */
    public boolean tryAcquire() {
        refill();
        for (;;) {
            long t = tokens.get();
            if (t <= 0) {
                return false;
            }
            if (tokens.compareAndSet(t, t - 1)) {
                return true;
            }
        }
    }

    /** Tokens left now. */
    public long tokens() {
        refill();
        return tokens.get();
    }

    private void refill() {
        long due = (ticker.nanoTime() - origin) / fillNanos;
        long done = fills.get();
        if (due > done && fills.compareAndSet(done, due)) {
            long add = Math.min(maxTokens, Math.min(due - done, maxTokens) * tokensPerFill);
            tokens.getAndUpdate(t -> Math.min(maxTokens, t + add));
        }
    }
}
