package io.remora.proxy.cluster;

import io.remora.config.HostPort;
import io.remora.config.Service;
import io.remora.log.Log;
import io.remora.proxy.metrics.PolicyMeters;
import io.remora.proxy.policy.ConcurrencyLimits;
import io.remora.proxy.policy.OutlierDetector;
import io.remora.proxy.policy.RetryBudget;
import io.remora.proxy.policy.Ticker;

import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The long-lived protection of one service: concurrency limits, retry budget, outlier detection and each endpoint
 * address's health, plus the service's {@code remora_*} meters. It lives as long as the service does, not as long
 * as a snapshot (as Envoy's cluster manager keeps clusters apart from routes): each applied snapshot hands it the
 * service's new policy and endpoints ({@link ServiceGuards}), and ejections, requests in flight against the limits
 * and the budget's window carry over. Every cluster of the service (the whole service and each subset) uses the same
 * guard, so a limit holds whichever subset a request goes to.
 */
public final class ServiceGuard {
    private final String serviceKey;
    private final ConcurrencyLimits limits = ConcurrencyLimits.counting();
    private final OutlierDetector outliers;
    private final PolicyMeters meters;
    private final Ticker ticker;
    private final io.remora.proxy.policy.Randomness randomness;
    private volatile RetryBudget budget = RetryBudget.UNLIMITED;
    private volatile Service.RetryBudget budgetSettings;
    private volatile long sweepIntervalNanos;
    private volatile Map<HostPort, EndpointHealth> health = Map.of();
    private volatile List<Cluster> clusters = List.of();
    private volatile long lastSweep;

    ServiceGuard(String serviceKey, Ticker ticker, io.remora.proxy.policy.Randomness randomness, PolicyMeters meters) {
        this.randomness = randomness;
        this.serviceKey = serviceKey;
        this.ticker = ticker;
        this.meters = meters;
        this.outliers = new OutlierDetector(ticker, new Events());
        this.lastSweep = ticker.nanoTime();
    }

    /**
     * The health of each of {@code endpoints}' addresses: the one this guard holds for an address it already
     * knows, a new one otherwise. Changes nothing: a snapshot that fails to build leaves the guard as it was.
     */
    Map<HostPort, EndpointHealth> healthFor(List<Service.Endpoint> endpoints) {
        Map<HostPort, EndpointHealth> now = health;
        Map<HostPort, EndpointHealth> next = new LinkedHashMap<>();
        for (Service.Endpoint e : endpoints) {
            HostPort address = e.address();
            if (!next.containsKey(address)) {
                EndpointHealth kept = now.get(address);
                next.put(address, kept != null ? kept : new EndpointHealth(address.toString()));
            }
        }
        return next;
    }

    /**
     * Makes a built snapshot's policy, endpoints and clusters this guard's: new limits apply to the slots already in
     * use, a changed budget starts a new window, outlier detection keeps the state of the addresses that stay.
     */
    void commit(Service.TrafficPolicy policy, Map<HostPort, EndpointHealth> endpointHealth, List<Cluster> next) {
        Service.CircuitBreaker cb = policy.circuitBreaker();
        if (cb.enabled()) {
            limits.resize(cb.maxConnections(), cb.maxPendingRequests(), cb.maxRequests(), cb.maxRetries());
        } else {
            limits.resize(Integer.MAX_VALUE, Integer.MAX_VALUE, Integer.MAX_VALUE, Integer.MAX_VALUE);
        }
        Service.RetryBudget rb = policy.retryBudget();
        if (!rb.equals(budgetSettings)) {
            budget = rb.enabled()
                    ? new RetryBudget(rb.percent() / 100.0, rb.minRetriesPerSecond(), rb.window(), ticker)
                    : RetryBudget.UNLIMITED;
            budgetSettings = rb;
        }
        Service.OutlierDetection od = policy.outlierDetection();
        List<OutlierDetector.EndpointState> states = new java.util.ArrayList<>(endpointHealth.size());
        for (EndpointHealth h : endpointHealth.values()) {
            states.add(h.outlier);
        }
        boolean active = od.active() && !states.isEmpty();
        outliers.update(active ? new OutlierDetector.Settings(od.consecutiveGatewayErrors(),
                od.consecutive5xxErrors(), od.interval(), od.baseEjectionTime(), od.maxEjectionTime(),
                od.maxEjectionPercent(), od.minHealthPercent()) : null, states);
        sweepIntervalNanos = active ? od.interval().toNanos() : 0;
        meters.ejectedNow(outliers.ejectedCount());
        this.health = Map.copyOf(endpointHealth);
        this.clusters = List.copyOf(next);
        rebalance();
    }

    /** What the service's balancers draw from. */
    io.remora.proxy.policy.Randomness randomness() {
        return randomness;
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

    /** The service's outlier detection; {@link OutlierDetector#active()} is false when it is off. */
    public OutlierDetector outliers() {
        return outliers;
    }

    /** Tells outlier detection how a try to {@code endpoint} ended. */
    public void report(Endpoint endpoint, OutlierDetector.Outcome outcome) {
        outliers.report(endpoint.health().outlier, outcome);
    }

    /** Returns ejected endpoints whose time is up; called often, acts once per outlier-detection interval. */
    public void sweep() {
        long interval = sweepIntervalNanos;
        if (interval == 0) {
            return;
        }
        long now = ticker.nanoTime();
        if (now - lastSweep >= interval) {
            lastSweep = now;
            outliers.sweep();
        }
    }

    public boolean isEjected(Endpoint endpoint) {
        return endpoint.health().outlier.ejected();
    }

    private void rebalance() {
        for (Cluster c : clusters) {
            c.rebalance();
        }
    }

    /** Ejections and returns: one log event, one counter, and the clusters' balancers rebuilt. */
    private final class Events implements OutlierDetector.Listener {
        @Override
        public void onEject(OutlierDetector.EndpointState endpoint, OutlierDetector.Reason reason, int consecutive,
                            long ejectionNanos, int timesEjected) {
            meters.ejected(reason);
            rebalance();
            Log.warn("outlier_ejected", "service", serviceKey, "endpoint", endpoint.name(),
                    "reason", reason.name().toLowerCase(Locale.ROOT).replace('_', '-'),
                    "consecutive_errors", consecutive, "ejection_ms", TimeUnit.NANOSECONDS.toMillis(ejectionNanos),
                    "times_ejected", timesEjected, "ejected_now", outliers.ejectedCount());
        }

        @Override
        public void onReturn(OutlierDetector.EndpointState endpoint, long ejectedForNanos) {
            meters.returned();
            rebalance();
            Log.info("outlier_returned", "service", serviceKey, "endpoint", endpoint.name(),
                    "ejected_ms", Duration.ofNanos(ejectedForNanos).toMillis(),
                    "ejected_now", outliers.ejectedCount());
        }
    }
}
