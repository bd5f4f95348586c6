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
            new ConcurrencyLimits(Integer.MAX_VALUE, Integer.MAX_VALUE, Integer.MAX_VALUE, Integer.MAX_VALUE);

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
        this.connections = new Gauge(maxConnections);
        this.pending = new Gauge(maxPending);
        this.requests = new Gauge(maxRequests);
        this.retries = new Gauge(maxRetries);
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
        private final int max;

        Gauge(int max) {
            if (max < 0) {
                throw new IllegalArgumentException("limit must be >= 0, got " + max);
            }
            this.max = max;
        }

        boolean tryAcquire() {
            if (max == Integer.MAX_VALUE) {
                return true;
            }
            for (;;) {
                int n = get();
                if (n >= max) {
                    return false;
                }
                if (compareAndSet(n, n + 1)) {
                    return true;
                }
            }
        }

        void release() {
            if (max != Integer.MAX_VALUE && decrementAndGet() < 0) {
                incrementAndGet();
                throw new IllegalStateException("released a slot that was not held");
            }
        }
    }
}
