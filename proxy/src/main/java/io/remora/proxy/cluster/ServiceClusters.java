package io.remora.proxy.cluster;

import io.remora.config.Service;

import io.remora.proxy.metrics.PolicyMeters;
import io.remora.proxy.policy.Ticker;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The clusters of one service: one over all its endpoints and one per subset. Every endpoint is built once, so a
 * subset cluster holds the very same {@link Endpoint} instances as the whole-service cluster and both see the same
 * count of requests in flight.
 */
public final class ServiceClusters {
    private final Cluster all;
    private final Map<String, Cluster> subsets;
    private final List<Cluster> clusters;

    private ServiceClusters(Cluster all, Map<String, Cluster> subsets, List<Cluster> clusters) {
        this.all = all;
        this.subsets = subsets;
        this.clusters = clusters;
    }

    /** Builds the clusters of {@code service} with the system ticker and meters of their own. */
    public static ServiceClusters build(Service service) {
        return build(service, Ticker.SYSTEM, PolicyMeters.unregistered(service.key()));
    }

    /**
     * Builds the clusters of {@code service} and the guard they share; throws IllegalArgumentException on a repeated
     * subset name.
     */
    public static ServiceClusters build(Service service, Ticker ticker, PolicyMeters meters) {
        Service.Spec spec = service.spec();
        List<Endpoint> endpoints = new ArrayList<>(spec.endpoints().size());
        for (int i = 0; i < spec.endpoints().size(); i++) {
            endpoints.add(Endpoint.of(spec.endpoints().get(i), i));
        }
        String key = service.key();
        ServiceGuard guard = new ServiceGuard(key, spec.trafficPolicy(), List.copyOf(endpoints), ticker, meters);
        Cluster all = new Cluster(key, null, spec.protocol(), spec.trafficPolicy(), endpoints, guard);
        List<Cluster> clusters = new ArrayList<>(1 + spec.subsets().size());
        clusters.add(all);
        Map<String, Cluster> subsets = new HashMap<>();
        for (Service.Subset subset : spec.subsets()) {
            List<Endpoint> members = new ArrayList<>();
            for (Endpoint e : endpoints) {
                if (e.hasLabels(subset.labels())) {
                    members.add(e);
                }
            }
            Cluster cluster = new Cluster(key, subset.name(), spec.protocol(), spec.trafficPolicy(), members, guard);
            if (subsets.putIfAbsent(subset.name(), cluster) != null) {
                throw new IllegalArgumentException("service " + key + ": subset \"" + subset.name()
                        + "\" is declared more than once");
            }
            clusters.add(cluster);
        }
        guard.attach(clusters);
        return new ServiceClusters(all, Map.copyOf(subsets), List.copyOf(clusters));
    }

    /** The limits, budget and outlier detection all the service's clusters share. */
    public ServiceGuard guard() {
        return all.guard();
    }

    /** The cluster of all the service's endpoints. */
    public Cluster all() {
        return all;
    }

    /** The cluster of subset {@code name}; null when the service declares no such subset. */
    public Cluster subset(String name) {
        return subsets.get(name);
    }

    /** The whole-service cluster first, then the subsets in declaration order. */
    public List<Cluster> clusters() {
        return clusters;
    }

    /** The endpoints of the whole service, in declaration order. */
    public List<Endpoint> endpoints() {
        return all.endpoints();
    }
}
