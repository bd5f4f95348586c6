package io.remora.proxy.cluster;

import io.remora.config.LoadBalancer;

import java.util.List;

/** Chooses an endpoint of a non-empty, fixed list for each request. Implementations are thread-safe and lock-free. */
interface Balancer {
    Endpoint pick();

    /** Like {@link #pick()}, but never returns {@code avoid} when another endpoint exists. */
    Endpoint pick(Endpoint avoid);

    static Balancer create(LoadBalancer kind, List<Endpoint> endpoints, io.remora.proxy.policy.Randomness randomness) {
        if (endpoints.isEmpty()) {
            throw new IllegalArgumentException("a balancer needs at least one endpoint");
        }
        return switch (kind) {
            case LEAST_REQUEST -> new LeastRequestBalancer(endpoints, randomness);
            case ROUND_ROBIN -> new RoundRobinBalancer(endpoints, randomness);
        };
    }
}
