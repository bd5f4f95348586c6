package io.remora.proxy.policy;

import java.util.Locale;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The circuit breaker of one service: how many upstream connections, requests waiting for a connection, active
 * requests and active retries it may have at once. A request over a limit fails at once (503, flag {@code UO})
 * rather than queuing, so an overloaded upstream sheds load instead of building latency. Shared by every event
 * loop; each slot is one compare-and-set.
 */
public final class ConcurrencyLimits {
    /** Never refuses; for traffic with no circuit breaker. */
    public static final ConcurrencyLimits UNLIMITED =
            new ConcurrencyLimits(Integer.MAX_VALUE, Integer.MAX_VALUE, Integer.MAX_VALUE, Integer.MAX_VALUE, false);

    /** The four limits; {@link #label()} is the {@code limit} label of {@code remora_overflow_total}. */
    public enum Limit {
        CONNECTIONS, PENDING, REQUESTS, RETRIES;

        private final String label = name().toLowerCase(Locale.ROOT);

        public String label() {
            return label;
        }
    }

    private final Gauge connections;
    private final Gauge pending;
    private final Gauge requests;
    private final Gauge retries;

    public ConcurrencyLimits(int maxConnections, int maxPending, int maxRequests, int maxRetries) {
        this(maxConnections, maxPending, maxRequests, maxRetries, true);
    }

    /** A service's limits: counted even while unlimited, so that a limit set by a later snapshot holds at once. */
    public static ConcurrencyLimits counting() {
        return new ConcurrencyLimits(Integer.MAX_VALUE, Integer.MAX_VALUE, Integer.MAX_VALUE, Integer.MAX_VALUE, true);
    }

    private ConcurrencyLimits(int maxConnections, int maxPending, int maxRequests, int maxRetries, boolean count) {
        this.connections = new Gauge(maxConnections, count);
        this.pending = new Gauge(maxPending, count);
        this.requests = new Gauge(maxRequests, count);
        this.retries = new Gauge(maxRetries, count);
    }

    /**
     * Sets new maxima and keeps the slots in use: requests admitted under the old limits still count, so a lowered
     * limit holds at once and a snapshot never admits twice the limit while old requests drain.
     */
    public void resize(int maxConnections, int maxPending, int maxRequests, int maxRetries) {
        if (this == UNLIMITED) {
            throw new IllegalStateException("UNLIMITED is shared and cannot be resized");
        }
        connections.max(maxConnections);
        pending.max(maxPending);
        requests.max(maxRequests);
        retries.max(maxRetries);
    }

    public boolean tryAcquireConnection() {
        return connections.tryAcquire();
    }

    public void releaseConnection() {
        connections.release();
    }

    public boolean tryAcquirePending() {
        return pending.tryAcquire();
    }

    public void releasePending() {
        pending.release();
    }

    public boolean tryAcquireRequest() {
        return requests.tryAcquire();
    }

    public void releaseRequest() {
        requests.release();
    }

    public boolean tryAcquireRetry() {
        return retries.tryAcquire();
    }

    public void releaseRetry() {
        retries.release();
    }

    /** The most slots of {@code limit} there may be. */
    public int max(Limit limit) {
        return switch (limit) {
            case CONNECTIONS -> connections.max;
            case PENDING -> pending.max;
            case REQUESTS -> requests.max;
            case RETRIES -> retries.max;
        };
    }

    /** Slots of {@code limit} in use now. */
    public int inUse(Limit limit) {
        return switch (limit) {
            case CONNECTIONS -> connections.get();
            case PENDING -> pending.get();
            case REQUESTS -> requests.get();
            case RETRIES -> retries.get();
        };
    }

    private static final class Gauge extends AtomicInteger {
        private final boolean count;
        private volatile int max;

        Gauge(int max, boolean count) {
            this.count = count;
            max(max);
        }

        void max(int max) {
            if (max < 0) {
                throw new IllegalArgumentException("limit must be >= 0, got " + max);
            }
            this.max = max;
        }

        boolean tryAcquire() {
            if (!count) {
                return true;
            }
            int limit = max;
            for (;;) {
                int n = get();
                if (n >= limit) {
                    return false;
                }
                if (compareAndSet(n, n + 1)) {
                    return true;
                }
            }
        }

        void release() {
            if (count && decrementAndGet() < 0) {
                incrementAndGet();
                throw new IllegalStateException("released a slot that was not held");
            }
        }
    }
}
