package io.remora.proxy.route;

import io.remora.proxy.authz.Authorizer;
import io.remora.config.Authority;
import io.remora.config.HostPort;
import io.remora.config.MeshIndex;
import io.remora.config.Route;
import io.remora.config.Service;
import io.remora.config.Snapshot;
import io.remora.proxy.cluster.Cluster;
import io.remora.proxy.cluster.Endpoint;
import io.remora.proxy.cluster.ServiceClusters;
import io.remora.proxy.cluster.ServiceGuards;
import io.remora.proxy.cluster.ServiceGuard;
import io.remora.proxy.policy.Ticker;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Routing state of one snapshot: services by name, by address and by key, each with its clusters and compiled
 * rules, as the snapshot's {@link MeshIndex} assigns them. Built once when a snapshot is applied, immutable
 * afterwards, and read lock-free by every event loop; a new snapshot builds a new table that replaces this one as a
 * whole.
 */
public final class RouteTable {
    private final Snapshot snapshot;
    private final Map<String, ServiceRoutes> byKey;
    private final AuthorityIndex byAuthority;
    private final Map<InetSocketAddress, ServiceRoutes> byAddress;
    private final List<Cluster> clusters;
    private final List<ServiceGuard> guards;

    private final Authorizer authorizer;

    /** The authorization policies of this workload's inbound traffic ({@link Authorizer#ALLOW_ALL} when none). */
    public Authorizer authorizer() {
        return authorizer;
    }

    private static Authorizer authorizer(Snapshot snapshot) {
        io.remora.config.Sidecar sidecar = snapshot.sidecarOrDefault();
        return Authorizer.compile(snapshot.authorizationPolicies(), sidecar.workload(), sidecar.metadata().namespace());
    }

    private RouteTable(Snapshot snapshot, Map<String, ServiceRoutes> byKey, AuthorityIndex byAuthority,
                       Map<InetSocketAddress, ServiceRoutes> byAddress, List<Cluster> clusters,
                       List<ServiceGuard> guards, Authorizer authorizer) {
        this.authorizer = authorizer;
        this.snapshot = snapshot;
        this.byKey = byKey;
        this.byAuthority = byAuthority;
        this.byAddress = byAddress;
        this.clusters = clusters;
        this.guards = guards;
    }

    /**
     * Builds the table of {@code snapshot} from its {@link MeshIndex}, which says which service each name, virtual
     * address and route belongs to: nothing of that is derived or checked again here.
     *
     * @throws IllegalArgumentException never for a snapshot the validator accepted; for one made in code, when a
     *                                  backend names an unknown service or subset, a regex is invalid, or a rule's
     *                                  backends all have weight 0 (what the validator refuses with a position)
     */
    public static RouteTable build(Snapshot snapshot) {
        return build(snapshot, ServiceGuards.standalone());
    }

    /**
     * Builds the table of {@code snapshot} on the long-lived {@code guards}: a service keeps its guard (limits,
     * budget, ejections, requests in flight) from the table before, matched by service key and endpoint address.
     * The guards take the new policies only once the whole table is built, so a snapshot that is refused changes
     * nothing. Time-based policies read the guards' ticker.
     *
     * @throws IllegalArgumentException as {@link #build(Snapshot)}
     */
    public static RouteTable build(Snapshot snapshot, ServiceGuards guards) {
        Objects.requireNonNull(snapshot, "snapshot");
        MeshIndex mesh = snapshot.mesh();
        Ticker ticker = guards.ticker();
        RoutePolicy defaultPolicy = RoutePolicy.defaults(ticker);
        ServiceGuards.Plan plan = guards.plan();

        Map<String, ServiceClusters> clustersByKey = new HashMap<>();
        List<Cluster> allClusters = new ArrayList<>();
        for (Service service : mesh.services()) {
            ServiceClusters built = ServiceClusters.build(service, plan);
            clustersByKey.put(service.key(), built);
            allClusters.addAll(built.clusters());
        }

        Map<String, ServiceRoutes> byKey = new HashMap<>();
        for (Service service : mesh.services()) {
            Cluster all = clustersByKey.get(service.key()).all();
            Route route = mesh.routeOf(service.key());
            CompiledRule[] rules = null;
            if (route != null) {
                rules = new CompiledRule[route.spec().rules().size()];
                for (int i = 0; i < rules.length; i++) {
                    rules[i] = CompiledRule.compile(route, i, all, clustersByKey, ticker,
                            guards.randomness());
                }
            }
            byKey.put(service.key(), new ServiceRoutes(service, all, rules, defaultPolicy));
        }

        Map<String, ServiceRoutes> byHost = new HashMap<>();
        for (Map.Entry<Authority, String> e : mesh.serviceKeysByName().entrySet()) {
            byHost.put(e.getKey().host(), byKey.get(e.getValue()));
        }

        List<ServiceGuard> serviceGuards = new ArrayList<>();
        for (ServiceClusters c : clustersByKey.values()) {
            serviceGuards.add(c.guard());
        }
        RouteTable table = new RouteTable(snapshot, Map.copyOf(byKey), new AuthorityIndex(byHost),
                addresses(mesh, byKey, clustersByKey), Collections.unmodifiableList(allClusters),
                List.copyOf(serviceGuards), authorizer(snapshot));
        plan.commit();
        return table;
    }

    /**
     * The mesh index's virtual addresses first, then endpoint addresses. An address that is already taken keeps its
     * first owner: an endpoint shared with a virtual address or an earlier service's endpoint, or a virtual address
     * written as a name that resolves to another's.
     */
    private static Map<InetSocketAddress, ServiceRoutes> addresses(MeshIndex mesh, Map<String, ServiceRoutes> byKey,
                                                                   Map<String, ServiceClusters> clustersByKey) {
        Map<InetSocketAddress, ServiceRoutes> byAddress = new HashMap<>();
        for (Map.Entry<HostPort, String> vip : mesh.serviceKeysByAddress().entrySet()) {
            byAddress.putIfAbsent(new InetSocketAddress(vip.getKey().host(), vip.getKey().port()),
                    byKey.get(vip.getValue()));
        }
        for (Service service : mesh.services()) {
            ServiceRoutes routes = byKey.get(service.key());
            for (Endpoint endpoint : clustersByKey.get(service.key()).endpoints()) {
                byAddress.putIfAbsent(endpoint.address(), routes);
            }
        }
        return Map.copyOf(byAddress);
    }

    /**
     * The service a {@code Host} / {@code :authority} value addresses: its key ({@code payments.shop}), the key with
     * {@code .svc} or {@code .svc.cluster.local}, or one of its hosts; case-insensitive, port ignored
     * ({@code Payments.Shop:8080}, {@code [fd00::1]:80}). Null when unknown.
     */
    public ServiceRoutes byAuthority(CharSequence authority) {
        return byAuthority.get(authority);
    }

    /** The service owning {@code destination} as a virtual address or as one of its endpoints; null when unknown. */
    public ServiceRoutes byAddress(InetSocketAddress destination) {
        return destination == null ? null : byAddress.get(destination);
    }

    /** The service with key {@code name.namespace}; null when unknown. */
    public ServiceRoutes byKey(String serviceKey) {
        return serviceKey == null ? null : byKey.get(serviceKey);
    }

    /** Every cluster: per service in snapshot order, the whole-service cluster then its subsets. */
    public Collection<Cluster> clusters() {
        return clusters;
    }

    /** Every service's guard (limits, retry budget, outlier detection). */
    public List<ServiceGuard> guards() {
        return guards;
    }

    /** Lets outlier detection return endpoints whose ejection is over; the proxy calls it on a timer. */
    public void sweep() {
        for (ServiceGuard g : guards) {
            g.sweep();
        }
    }

    public Snapshot snapshot() {
        return snapshot;
    }
}
