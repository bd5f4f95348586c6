package io.remora.proxy.policy;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicIntegerArray;

/**
 * Passive health checking of one service's endpoints. Each try's outcome is reported; an endpoint with
 * {@code consecutiveGatewayErrors} gateway errors (502, 503, 504, connect failures, resets) or
 * {@code consecutive5xxErrors} 5xx in a row is ejected for {@code baseEjectionTime × times ejected} (capped at
 * {@code maxEjectionTime}), unless that would eject more than {@code maxEjectionPercent} of the endpoints. An
 * endpoint that stays healthy for an interval has its multiplier lowered by one, so a one-off incident is forgotten.
 *
 * <p>Reports come from every event loop: counting is lock-free; ejecting and returning (rare) are synchronized so the
 * cap holds. The listener is called under that lock, once per ejection and once per return.
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
        void onEject(int endpoint, Reason reason, int consecutive, long ejectionNanos, int timesEjected);

        void onReturn(int endpoint, long ejectedForNanos);
    }

    private final Settings settings;
    private final int size;
    private final Ticker ticker;
    private final Listener listener;
    private final long baseNanos;
    private final long maxNanos;
    private final int cap;
    private final AtomicIntegerArray gatewayErrors;
    private final AtomicIntegerArray serverErrors;
    /** Read without the lock on every pick; written under it. */
    private final AtomicIntegerArray ejected;
    // Guarded by this:
    private final int[] timesEjected;
    private final long[] ejectedAt;
    private final long[] ejectionNanos;
    private int ejectedCount;
    private long skippedByCap;

    public OutlierDetector(Settings settings, int endpoints, Ticker ticker, Listener listener) {
        this.settings = settings;
        this.size = endpoints;
        this.ticker = ticker;
        this.listener = listener;
        this.baseNanos = settings.baseEjectionTime().toNanos();
        this.maxNanos = Math.max(baseNanos, settings.maxEjectionTime().toNanos());
        this.cap = Math.max(1, (int) ((long) endpoints * settings.maxEjectionPercent() / 100));
        this.gatewayErrors = new AtomicIntegerArray(endpoints);
        this.serverErrors = new AtomicIntegerArray(endpoints);
        this.ejected = new AtomicIntegerArray(endpoints);
        this.timesEjected = new int[endpoints];
        this.ejectedAt = new long[endpoints];
        this.ejectionNanos = new long[endpoints];
    }

    /** How outlier detection counts a response status. */
    public static Outcome classify(int status) {
        if (status == 502 || status == 503 || status == 504) {
            return Outcome.GATEWAY_ERROR;
        }
        return status >= 500 ? Outcome.SERVER_ERROR : Outcome.SUCCESS;
    }

    /** Records how a try to endpoint {@code i} ended; may eject it. */
    public void report(int i, Outcome outcome) {
        switch (outcome) {
            case SUCCESS -> {
                // Only write when there is something to reset: a healthy endpoint's counters stay untouched.
                if (gatewayErrors.get(i) != 0) {
                    gatewayErrors.set(i, 0);
                }
                if (serverErrors.get(i) != 0) {
                    serverErrors.set(i, 0);
                }
            }
            case GATEWAY_ERROR -> {
                int g = gatewayErrors.incrementAndGet(i);
                int s = serverErrors.incrementAndGet(i);
                int gMax = settings.consecutiveGatewayErrors();
                int sMax = settings.consecutive5xxErrors();
                if (gMax > 0 && g >= gMax) {
                    tryEject(i, Reason.CONSECUTIVE_GATEWAY_ERRORS, g);
                } else if (sMax > 0 && s >= sMax) {
                    tryEject(i, Reason.CONSECUTIVE_5XX, s);
                }
            }
            case SERVER_ERROR -> {
                if (gatewayErrors.get(i) != 0) {
                    gatewayErrors.set(i, 0);
                }
                int s = serverErrors.incrementAndGet(i);
                int sMax = settings.consecutive5xxErrors();
                if (sMax > 0 && s >= sMax) {
                    tryEject(i, Reason.CONSECUTIVE_5XX, s);
                }
            }
        }
    }

    private synchronized void tryEject(int i, Reason reason, int consecutive) {
        gatewayErrors.set(i, 0);
        serverErrors.set(i, 0);
        if (ejected.get(i) != 0) {
            return;
        }
        if (ejectedCount >= cap) {
            skippedByCap++;
            return;
        }
        int times = ++timesEjected[i];
        long nanos = Math.min(maxNanos, baseNanos * times);
        ejectedAt[i] = ticker.nanoTime();
        ejectionNanos[i] = nanos;
        ejectedCount++;
        ejected.set(i, 1);
        listener.onEject(i, reason, consecutive, nanos, times);
    }

    /**
     * Returns every endpoint whose ejection time is up and lowers the multiplier of endpoints that stayed in; call
     * once per interval.
     */
    public synchronized void sweep() {
        long now = ticker.nanoTime();
        for (int i = 0; i < size; i++) {
            if (ejected.get(i) != 0) {
                long out = now - ejectedAt[i];
                if (out >= ejectionNanos[i]) {
                    ejected.set(i, 0);
                    ejectedCount--;
                    gatewayErrors.set(i, 0);
                    serverErrors.set(i, 0);
                    listener.onReturn(i, out);
                }
            } else if (timesEjected[i] > 0 && now - ejectedAt[i] - ejectionNanos[i] >= settings.interval().toNanos()) {
                timesEjected[i]--;
                ejectedAt[i] = now - ejectionNanos[i];
            }
        }
    }

    public boolean isEjected(int i) {
        return ejected.get(i) != 0;
    }

    public synchronized int ejectedCount() {
        return ejectedCount;
    }

    public synchronized int timesEjected(int i) {
        return timesEjected[i];
    }

    /** Ejections not made because the maximum ejection percent was reached. */
    public synchronized long ejectionsSkippedByCap() {
        return skippedByCap;
    }

    /** At most this many endpoints are ejected at once. */
    public int maxEjected() {
        return cap;
    }
}
