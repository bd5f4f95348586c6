package io.remora.proxy.cluster;

import io.remora.config.HostPort;
import io.remora.config.Service;
import io.remora.proxy.metrics.PolicyMeters;
import io.remora.proxy.policy.Randomness;
import io.remora.proxy.policy.Ticker;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * Every service's {@link ServiceGuard}, kept across snapshots by service key. A route table is built against a
 * {@link Plan}: it hands out the guard (and endpoint health) a service already has, or a new one, and changes
 * nothing until {@link Plan#commit()}, so a snapshot that fails to build leaves every guard as it was. On commit,
 * services the snapshot no longer has are forgotten.
 */
public final class ServiceGuards {
    private final Ticker ticker;
    private final Randomness randomness;
    private final Function<String, PolicyMeters> meters;
    private final Map<String, ServiceGuard> byKey = new ConcurrentHashMap<>();

    /**
     * @param meters each service's meters by key (a proxy's registry hands the same ones out again for a key)
     */
    public ServiceGuards(Ticker ticker, Randomness randomness, Function<String, PolicyMeters> meters) {
        this.ticker = ticker;
        this.randomness = randomness;
        this.meters = meters;
    }

    /** Guards with meters of their own, for tables built without a proxy (validation, tests). */
    public static ServiceGuards standalone() {
        return new ServiceGuards(Ticker.SYSTEM, Randomness.SYSTEM, PolicyMeters::unregistered);
    }

    /** What time-based policies of the tables built against these guards read. */
    public Ticker ticker() {
        return ticker;
    }

    /** What the tables built against these guards draw weighted choices from. */
    public Randomness randomness() {
        return randomness;
    }

    /** The guard of service {@code key} as of the last commit; null when there is none. */
    public ServiceGuard get(String key) {
        return byKey.get(key);
    }

    public Plan plan() {
        return new Plan();
    }

    /** The guards of one snapshot being built. Not thread-safe: one builder uses it, then commits it. */
    public final class Plan {
        private final Map<String, Pending> pending = new LinkedHashMap<>();

        private Plan() {
        }

        /** The guard {@code service} keeps (or gets) and the health of each of its endpoint addresses. */
        Pending take(Service service) {
            String key = service.key();
            if (pending.containsKey(key)) {
                throw new IllegalArgumentException("service " + key + " is declared more than once");
            }
            ServiceGuard guard = byKey.get(key);
            if (guard == null) {
                guard = new ServiceGuard(key, ticker, randomness, meters.apply(key));
            }
            Pending p = new Pending(guard, service.spec().trafficPolicy(),
                    guard.healthFor(service.spec().endpoints()));
            pending.put(key, p);
            return p;
        }

        /** Makes this plan's policies and clusters the guards' and forgets services that are gone. */
        public void commit() {
            for (Map.Entry<String, Pending> e : pending.entrySet()) {
                Pending p = e.getValue();
                p.guard.commit(p.policy, p.health, p.clusters);
                byKey.put(e.getKey(), p.guard);
            }
            byKey.keySet().retainAll(pending.keySet());
        }
    }

    /** One service's part of a plan: filled in by {@link ServiceClusters#build}. */
    static final class Pending {
        final ServiceGuard guard;
        final Service.TrafficPolicy policy;
        final Map<HostPort, EndpointHealth> health;
        List<Cluster> clusters = List.of();

        Pending(ServiceGuard guard, Service.TrafficPolicy policy, Map<HostPort, EndpointHealth> health) {
            this.guard = guard;
            this.policy = policy;
            this.health = health;
        }
    }
}
