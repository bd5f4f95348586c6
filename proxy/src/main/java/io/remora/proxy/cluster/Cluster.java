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
    private final Balancer balancer;

    Cluster(String serviceKey, String subset, Protocol protocol, Service.TrafficPolicy policy,
            List<Endpoint> endpoints) {
        this.serviceKey = Objects.requireNonNull(serviceKey, "serviceKey");
        this.subset = subset;
        this.name = subset == null ? serviceKey : serviceKey + "/" + subset;
        this.protocol = Objects.requireNonNull(protocol, "protocol");
        this.policy = Objects.requireNonNull(policy, "policy");
        this.endpoints = List.copyOf(endpoints);
        this.balancer = endpoints.isEmpty() ? null : Balancer.create(policy.loadBalancer(), this.endpoints);
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
        return balancer == null ? null : balancer.pick();
    }

    /**
     * Like {@link #pick()}, but returns an endpoint other than {@code avoid} whenever the cluster has another one
     * (a retry should not go back to the endpoint that just failed).
     */
    public Endpoint pick(Endpoint avoid) {
        return balancer == null ? null : balancer.pick(avoid);
    }

    @Override
    public String toString() {
        return name;
    }
}
