package io.remora.proxy.cluster;

import io.remora.config.Service;


import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The clusters of one snapshot's service: one over all its endpoints and one per subset. Every endpoint is built
 * once, so a subset cluster holds the very same {@link Endpoint} instances as the whole-service cluster; their
 * health (requests in flight, ejection) is the service guard's, kept across snapshots.
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

    /** Builds the clusters of {@code service} with a guard of their own (tests, tools). */
    public static ServiceClusters build(Service service) {
        ServiceGuards.Plan plan = ServiceGuards.standalone().plan();
        ServiceClusters built = build(service, plan);
        plan.commit();
        return built;
    }

    /**
     * Builds the clusters of {@code service} on the guard and endpoint health {@code plan} gives it (kept from the
     * previous snapshot where the service and the addresses were there); throws IllegalArgumentException on a
     * repeated service or subset name.
     */
    public static ServiceClusters build(Service service, ServiceGuards.Plan plan) {
        Service.Spec spec = service.spec();
        ServiceGuards.Pending pending = plan.take(service);
        List<Endpoint> endpoints = new ArrayList<>(spec.endpoints().size());
        for (Service.Endpoint e : spec.endpoints()) {
            endpoints.add(Endpoint.of(e, pending.health.get(e.address())));
        }
        String key = service.key();
        ServiceGuard guard = pending.guard;
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
        pending.clusters = List.copyOf(clusters);
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
