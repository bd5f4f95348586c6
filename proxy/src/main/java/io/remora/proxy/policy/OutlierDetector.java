package io.remora.proxy.policy;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Passive health checking of one service's endpoints. Each try's outcome is reported; an endpoint with
 * {@code consecutiveGatewayErrors} gateway errors (502, 503, 504, connect failures, resets) or
 * {@code consecutive5xxErrors} 5xx in a row is ejected for {@code baseEjectionTime × times ejected} (capped at
 * {@code maxEjectionTime}), unless that would eject more than {@code maxEjectionPercent} of the endpoints. An
 * endpoint that stays healthy for an interval has its multiplier lowered by one, so a one-off incident is forgotten.
 *
 * <p>The detector and each endpoint's {@link EndpointState} live as long as the service and the endpoint's address
 * do, not as long as one snapshot: {@link #update} gives it the settings and endpoints of a new snapshot and an
 * ejection stays in force across it.
 *
 * <p>Reports come from every event loop: counting is lock-free; ejecting, returning and updating (rare) are
 * synchronized so the cap holds. The listener is called under that lock, once per ejection and once per return.
 */
public final class OutlierDetector {
    /** How a try ended, as outlier detection sees it. */
    public enum Outcome { SUCCESS, GATEWAY_ERROR, SERVER_ERROR }

    /** Why an endpoint was ejected; the {@code reason} label of {@code remora_outlier_ejections_total}. */
    public enum Reason { CONSECUTIVE_GATEWAY_ERRORS, CONSECUTIVE_5XX }

    /** The settings, as in the config model; an error count of 0 turns that detector off. */
    public record Settings(int consecutiveGatewayErrors, int consecutive5xxErrors, Duration interval,
                           Duration baseEjectionTime, Duration maxEjectionTime, int maxEjectionPercent,
                           int minHealthPercent) {
    }

    /** Told of every ejection and return. */
    public interface Listener {
        void onEject(EndpointState endpoint, Reason reason, int consecutive, long ejectionNanos, int timesEjected);

        void onReturn(EndpointState endpoint, long ejectedForNanos);
    }

    /** What outlier detection knows of one endpoint address; kept while the address stays in the service. */
    public static final class EndpointState {
        private final String name;
        private final AtomicInteger gatewayErrors = new AtomicInteger();
        private final AtomicInteger serverErrors = new AtomicInteger();
        /** Read without the lock on every pick; written under the detector's lock. */
        private volatile boolean ejected;
        // Guarded by the detector:
        private boolean retired;
        private int timesEjected;
        private long ejectedAt;
        private long ejectionNanos;

        public EndpointState(String name) {
            this.name = name;
        }

        /** The endpoint's {@code host:port}. */
        public String name() {
            return name;
        }

        public boolean ejected() {
            return ejected;
        }

        @Override
        public String toString() {
            return name;
        }
    }

    private final Ticker ticker;
    private final Listener listener;
    // Guarded by this; settings is null while detection is off.
    private volatile Settings settings;
    private List<EndpointState> endpoints = List.of();
    private long baseNanos;
    private long maxNanos;
    private int cap;
    private int ejectedCount;
    private long skippedByCap;

    public OutlierDetector(Ticker ticker, Listener listener) {
        this.ticker = ticker;
        this.listener = listener;
    }

    /**
     * Gives the detector a snapshot's settings (null: detection off) and the service's endpoints. Endpoints kept
     * from before keep their ejection and error counts; endpoints no longer listed are forgotten. Turning detection
     * off returns every endpoint.
     */
    public synchronized void update(Settings next, List<EndpointState> current) {
        for (EndpointState e : endpoints) {
            e.retired = true;
        }
        int ejectedNow = 0;
        for (EndpointState e : current) {
            e.retired = false;
            if (next == null) {
                e.ejected = false;
                e.timesEjected = 0;
                e.gatewayErrors.set(0);
                e.serverErrors.set(0);
            } else if (e.ejected) {
                ejectedNow++;
            }
        }
        this.endpoints = List.copyOf(current);
        this.settings = next;
        this.ejectedCount = ejectedNow;
        if (next != null) {
            this.baseNanos = next.baseEjectionTime().toNanos();
            this.maxNanos = Math.max(baseNanos, next.maxEjectionTime().toNanos());
            this.cap = Math.max(1, (int) ((long) current.size() * next.maxEjectionPercent() / 100));
        } else {
            this.cap = 0;
        }
    }

    /** Whether detection is on (the service's outlierDetection is active and it has endpoints). */
    public boolean active() {
        return settings != null;
    }

    /** How outlier detection counts a response status. */
    public static Outcome classify(int status) {
        if (status == 502 || status == 503 || status == 504) {
            return Outcome.GATEWAY_ERROR;
        }
        return status >= 500 ? Outcome.SERVER_ERROR : Outcome.SUCCESS;
    }

    /** Records how a try to {@code e} ended; may eject it. */
    public void report(EndpointState e, Outcome outcome) {
        Settings s = settings;
        if (s == null) {
            return;
        }
        switch (outcome) {
            case SUCCESS -> {
                // Only write when there is something to reset: a healthy endpoint's counters stay untouched.
                if (e.gatewayErrors.get() != 0) {
                    e.gatewayErrors.set(0);
                }
                if (e.serverErrors.get() != 0) {
                    e.serverErrors.set(0);
                }
            }
            case GATEWAY_ERROR -> {
                int g = e.gatewayErrors.incrementAndGet();
                int x = e.serverErrors.incrementAndGet();
                int gMax = s.consecutiveGatewayErrors();
                int sMax = s.consecutive5xxErrors();
                if (gMax > 0 && g >= gMax) {
                    tryEject(e, Reason.CONSECUTIVE_GATEWAY_ERRORS, g);
                } else if (sMax > 0 && x >= sMax) {
                    tryEject(e, Reason.CONSECUTIVE_5XX, x);
                }
            }
            case SERVER_ERROR -> {
                if (e.gatewayErrors.get() != 0) {
                    e.gatewayErrors.set(0);
                }
                int x = e.serverErrors.incrementAndGet();
                int sMax = s.consecutive5xxErrors();
                if (sMax > 0 && x >= sMax) {
                    tryEject(e, Reason.CONSECUTIVE_5XX, x);
                }
            }
        }
    }

    private synchronized void tryEject(EndpointState e, Reason reason, int consecutive) {
        e.gatewayErrors.set(0);
        e.serverErrors.set(0);
        // A report from a request of an older snapshot may name an endpoint that has left the service since.
        if (e.ejected || e.retired || settings == null) {
            return;
        }
        if (ejectedCount >= cap) {
            skippedByCap++;
            return;
        }
        int times = ++e.timesEjected;
        long nanos = Math.min(maxNanos, baseNanos * times);
        e.ejectedAt = ticker.nanoTime();
        e.ejectionNanos = nanos;
        ejectedCount++;
        e.ejected = true;
        listener.onEject(e, reason, consecutive, nanos, times);
    }

    /**
     * Returns every endpoint whose ejection time is up and lowers the multiplier of endpoints that stayed in; call
     * once per interval.
     */
    public synchronized void sweep() {
        if (settings == null) {
            return;
        }
        long now = ticker.nanoTime();
        long interval = settings.interval().toNanos();
        for (EndpointState e : endpoints) {
            if (e.ejected) {
                long out = now - e.ejectedAt;
                if (out >= e.ejectionNanos) {
                    e.ejected = false;
                    ejectedCount--;
                    e.gatewayErrors.set(0);
                    e.serverErrors.set(0);
                    listener.onReturn(e, out);
                }
            } else if (e.timesEjected > 0 && now - e.ejectedAt - e.ejectionNanos >= interval) {
                e.timesEjected--;
                e.ejectedAt = now - e.ejectionNanos;
            }
        }
    }

    public synchronized int ejectedCount() {
        return ejectedCount;
    }

    public synchronized int timesEjected(EndpointState e) {
        return e.timesEjected;
    }

    /** Ejections not made because the maximum ejection percent was reached. */
    public synchronized long ejectionsSkippedByCap() {
        return skippedByCap;
    }

    /** At most this many endpoints are ejected at once. */
    public synchronized int maxEjected() {
        return cap;
    }
}
