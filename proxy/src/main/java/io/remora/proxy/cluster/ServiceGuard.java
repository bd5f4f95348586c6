package io.remora.proxy.cluster;

import io.remora.config.Service;
import io.remora.log.Log;
import io.remora.proxy.metrics.PolicyMeters;
import io.remora.proxy.policy.ConcurrencyLimits;
import io.remora.proxy.policy.OutlierDetector;
import io.remora.proxy.policy.RetryBudget;
import io.remora.proxy.policy.Ticker;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The shared, mutable protection of one service, built with its clusters for one snapshot: concurrency limits,
 * retry budget and outlier detection, plus the service's {@code remora_*} meters. Every cluster of the service
 * (the whole service and each subset) uses the same guard, so a limit holds whichever subset a request goes to.
 */
public final class ServiceGuard {
    private final String serviceKey;
    private final ConcurrencyLimits limits;
    private final RetryBudget budget;
    private final OutlierDetector outliers;
    private final PolicyMeters meters;
    private final Ticker ticker;
    private final long sweepIntervalNanos;
    private final List<Endpoint> endpoints;
    private volatile List<Cluster> clusters = List.of();
    private volatile long lastSweep;

    ServiceGuard(String serviceKey, Service.TrafficPolicy policy, List<Endpoint> endpoints, Ticker ticker,
                 PolicyMeters meters) {
        this.serviceKey = serviceKey;
        this.endpoints = endpoints;
        this.ticker = ticker;
        this.meters = meters;
        Service.CircuitBreaker cb = policy.circuitBreaker();
        this.limits = cb.enabled()
                ? new ConcurrencyLimits(cb.maxConnections(), cb.maxPendingRequests(), cb.maxRequests(), cb.maxRetries())
                : ConcurrencyLimits.UNLIMITED;
        Service.RetryBudget rb = policy.retryBudget();
        this.budget = rb.enabled()
                ? new RetryBudget(rb.percent() / 100.0, rb.minRetriesPerSecond(), rb.window(), ticker)
                : RetryBudget.UNLIMITED;
        Service.OutlierDetection od = policy.outlierDetection();
        meters.resetEjected();
        if (od.active() && !endpoints.isEmpty()) {
            this.outliers = new OutlierDetector(new OutlierDetector.Settings(od.consecutiveGatewayErrors(),
                    od.consecutive5xxErrors(), od.interval(), od.baseEjectionTime(), od.maxEjectionTime(),
                    od.maxEjectionPercent(), od.minHealthPercent()), endpoints.size(), ticker, new Events());
            this.sweepIntervalNanos = od.interval().toNanos();
        } else {
            this.outliers = null;
            this.sweepIntervalNanos = 0;
        }
        this.lastSweep = ticker.nanoTime();
    }

    void attach(List<Cluster> clusters) {
        this.clusters = List.copyOf(clusters);
    }

    public String serviceKey() {
        return serviceKey;
    }

    public ConcurrencyLimits limits() {
        return limits;
    }

    public RetryBudget budget() {
        return budget;
    }

    public PolicyMeters meters() {
        return meters;
    }

    /** Null when outlier detection is off for the service. */
    public OutlierDetector outliers() {
        return outliers;
    }

    /** Tells outlier detection how a try to {@code endpoint} ended. */
    public void report(Endpoint endpoint, OutlierDetector.Outcome outcome) {
        if (outliers != null) {
            outliers.report(endpoint.index(), outcome);
        }
    }

    /** Returns ejected endpoints whose time is up; called often, acts once per outlier-detection interval. */
    public void sweep() {
        if (outliers == null) {
            return;
        }
        long now = ticker.nanoTime();
        if (now - lastSweep >= sweepIntervalNanos) {
            lastSweep = now;
            outliers.sweep();
        }
    }

    public boolean isEjected(Endpoint endpoint) {
        return outliers != null && outliers.isEjected(endpoint.index());
    }

    private void rebalance() {
        for (Cluster c : clusters) {
            c.rebalance(outliers);
        }
    }

    /** Ejections and returns: one log event, one counter, and the clusters' balancers rebuilt. */
    private final class Events implements OutlierDetector.Listener {
        @Override
        public void onEject(int endpoint, OutlierDetector.Reason reason, int consecutive, long ejectionNanos,
                            int timesEjected) {
            meters.ejected(reason);
            rebalance();
            Log.warn("outlier_ejected", "service", serviceKey, "endpoint", endpoints.get(endpoint).toString(),
                    "reason", reason.name().toLowerCase(java.util.Locale.ROOT).replace('_', '-'),
                    "consecutive_errors", consecutive, "ejection_ms", TimeUnit.NANOSECONDS.toMillis(ejectionNanos),
                    "times_ejected", timesEjected, "ejected_now", outliers == null ? 1 : outliers.ejectedCount());
        }

        @Override
        public void onReturn(int endpoint, long ejectedForNanos) {
            meters.returned();
            rebalance();
            Log.info("outlier_returned", "service", serviceKey, "endpoint", endpoints.get(endpoint).toString(),
                    "ejected_ms", Duration.ofNanos(ejectedForNanos).toMillis(),
                    "ejected_now", outliers == null ? 0 : outliers.ejectedCount());
        }
    }
}
