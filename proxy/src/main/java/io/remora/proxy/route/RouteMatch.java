package io.remora.proxy.route;

import io.remora.proxy.cluster.Cluster;

/**
 * The result of routing one request: which route and rule matched and the cluster chosen for it. Instances are
 * built with the route table and reused for every request that takes the same path, and so is their
 * {@link #upstream() decision}.
 */
public final class RouteMatch {
    private final String routeName;
    private final String ruleName;
    private final Cluster cluster;
    private final RoutePolicy policy;
    private final RouteDecision.Upstream upstream;

    /**
     * @param serviceKey the service being routed (the request's {@code destination_service}; a rule's backend may
     *                   be another service's cluster)
     * @param routeName  name of the matching Route, or {@code "default"} when the service has no Route
     * @param ruleName   name of the matching rule ({@code "rule-N"} for an unnamed rule N), or {@code "default"}
     * @param cluster    where the request goes
     * @param policy     deadline, retries, faults and rate limit of the rule
     */
    public RouteMatch(String serviceKey, String routeName, String ruleName, Cluster cluster, RoutePolicy policy) {
        this.routeName = routeName;
        this.ruleName = ruleName;
        this.cluster = cluster;
        this.policy = policy;
        this.upstream = new RouteDecision.Upstream(serviceKey,
                cluster.name(), ruleName == null ? routeName : routeName + "/" + ruleName, cluster, policy, null, null,
                cluster.protocol().isHttp2Upstream(), cluster.policy().connectTimeout(),
                cluster.policy().upstreamIdleTimeout());
    }

    public String routeName() {
        return routeName;
    }

    public String ruleName() {
        return ruleName;
    }

    public Cluster cluster() {
        return cluster;
    }

    public RoutePolicy policy() {
        return policy;
    }

    /** The decision for a request that takes this path, built once. */
    public RouteDecision.Upstream upstream() {
        return upstream;
    }

    @Override
    public String toString() {
        return upstream.routeName() + " -> " + cluster;
    }
}
