package io.remora.proxy.cluster;

import io.remora.config.Protocol;
import io.remora.config.Service;

import java.util.List;
import java.util.Objects;

/**
 * A set of endpoints requests can be balanced over: all endpoints of a service ({@code payments.shop}) or those of
 * one of its subsets ({@code payments.shop/v2}). Immutable apart from the endpoints' request counters.
 */
public final class Cluster {
    private final String name;
    private final String serviceKey;
    private final String subset;
    private final Protocol protocol;
    private final Service.TrafficPolicy policy;
    private final List<Endpoint> endpoints;
    private final ServiceGuard guard;
    /** Over the endpoints in service: all of them unless outlier detection ejected some (and no panic). */
    private volatile Balancer balancer;

    Cluster(String serviceKey, String subset, Protocol protocol, Service.TrafficPolicy policy,
            List<Endpoint> endpoints, ServiceGuard guard) {
        this.serviceKey = Objects.requireNonNull(serviceKey, "serviceKey");
        this.subset = subset;
        this.name = subset == null ? serviceKey : serviceKey + "/" + subset;
        this.protocol = Objects.requireNonNull(protocol, "protocol");
        this.policy = Objects.requireNonNull(policy, "policy");
        this.endpoints = List.copyOf(endpoints);
        this.guard = Objects.requireNonNull(guard, "guard");
        this.balancer = endpoints.isEmpty() ? null : Balancer.create(policy.loadBalancer(), this.endpoints,
                guard.randomness());
    }

    /**
     * Rebuilds the balancer after an ejection or a return: it balances over the endpoints not ejected, or over all
     * of them when fewer than the service's minimum healthy share are left (panic mode: overload beats no service).
     */
    void rebalance() {
        if (endpoints.isEmpty()) {
            return;
        }
        List<Endpoint> healthy = new java.util.ArrayList<>(endpoints.size());
        for (Endpoint e : endpoints) {
            if (!e.health().outlier.ejected()) {
                healthy.add(e);
            }
        }
        int minHealthPercent = policy.outlierDetection().minHealthPercent();
        boolean panic = healthy.isEmpty() || healthy.size() * 100L < (long) minHealthPercent * endpoints.size();
        balancer = Balancer.create(policy.loadBalancer(), panic ? endpoints : healthy, guard.randomness());
    }

    /** The concurrency limits, retry budget and outlier detection of the service this cluster belongs to. */
    public ServiceGuard guard() {
        return guard;
    }

    /** {@code payments.shop}, or {@code payments.shop/v2} for a subset. */
    public String name() {
        return name;
    }

    public String serviceKey() {
        return serviceKey;
    }

    /** Subset name; null for the cluster of all the service's endpoints. */
    public String subset() {
        return subset;
    }

    public Protocol protocol() {
        return protocol;
    }

    public Service.TrafficPolicy policy() {
        return policy;
    }

    public List<Endpoint> endpoints() {
        return endpoints;
    }

    /** The endpoint for the next request, by the service's load balancer; null when the cluster has no endpoints. */
    public Endpoint pick() {
        Balancer b = balancer;
        return b == null ? null : b.pick();
    }

    /**
     * Like {@link #pick()}, but returns an endpoint other than {@code avoid} whenever the cluster has another one
     * (a retry should not go back to the endpoint that just failed).
     */
    public Endpoint pick(Endpoint avoid) {
        Balancer b = balancer;
        return b == null ? null : b.pick(avoid);
    }

    @Override
    public String toString() {
        return name;
    }
}
