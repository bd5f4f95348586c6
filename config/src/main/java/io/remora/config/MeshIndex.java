package io.remora.config;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Who answers to what in one mesh: the Services by key, every name a request's authority may carry
 * ({@link Authority}: each key, the key's cluster DNS names, each host) and every virtual address, each mapped to
 * the one Service it names, and the Route of each Service. Immutable.
 *
 * <p>It is built once, by the pass the validator makes over the Services and Routes ({@link Builder}): each name,
 * address and route claim is checked there, with the file position of what is wrong, and what the validator
 * accepts is exactly what this index holds. The proxy builds its routing table from it and the control plane cuts
 * sidecars' snapshots with it, re-deriving nothing, so a snapshot the validator accepts always applies and both
 * planes resolve a name alike. A {@link Snapshot} made in code (tools, tests) is indexed by {@link #of}, the same
 * pass, which refuses what the validator would.
 */
public final class MeshIndex {
    /** The cluster DNS names every Service answers to besides its key {@code name.namespace}. */
    public static final List<String> CLUSTER_DNS_SUFFIXES = List.of(".svc", ".svc.cluster.local");

    private final List<Service> services;
    private final List<Route> routes;
    private final Map<String, Service> serviceByKey;
    private final Map<Authority, String> keyByName;
    private final Map<HostPort, String> keyByAddress;
    private final Map<String, String> keyByReference;
    private final Map<String, Route> routeByKey;

    private MeshIndex(Builder<?> b) {
        this.services = List.copyOf(b.services);
        this.routes = List.copyOf(b.routes);
        this.serviceByKey = Map.copyOf(b.serviceByKey);
        Map<Authority, String> names = new HashMap<>();
        for (Service service : services) {
            for (Authority name : clusterNames(service.key())) {
                names.putIfAbsent(name, service.key());
            }
        }
        b.hostClaims.forEach((name, claim) -> names.putIfAbsent(name, claim.key()));
        this.keyByName = Map.copyOf(names);
        Map<HostPort, String> addresses = new LinkedHashMap<>();
        b.addressClaims.forEach((address, claim) -> addresses.put(address, claim.key()));
        this.keyByAddress = Collections.unmodifiableMap(addresses);
        this.keyByReference = Map.copyOf(b.keyByReference);
        Map<String, Route> routed = new HashMap<>();
        b.routeByKey.forEach((key, claim) -> routed.put(key, claim.route()));
        this.routeByKey = Map.copyOf(routed);
    }

    /**
     * Indexes Services and Routes made in code, as the validator indexes loaded ones.
     *
     * @throws IllegalArgumentException at the first thing the validator would refuse: a repeated service key, a host
     *                                  that is not a host name or IP address (optionally with a port), a name or
     *                                  virtual address claimed by two services, a Route naming an unknown service,
     *                                  a service named by two Routes
     */
    public static MeshIndex of(List<Service> services, List<Route> routes) {
        List<Declared<Void>> declared = new ArrayList<>(services.size());
        for (Service service : services) {
            declared.add(new Declared<>(service.key(), service, null));
        }
        Builder<Void> builder = new Builder<>(declared, new Refusals());
        for (Route route : routes) {
            builder.route(route, null);
        }
        return builder.build();
    }

    /** The Services, in declaration order. */
    public List<Service> services() {
        return services;
    }

    /** The Routes, in declaration order. */
    public List<Route> routes() {
        return routes;
    }

    /** The Service with key {@code name.namespace}; null when there is none. */
    public Service service(String key) {
        return key == null ? null : serviceByKey.get(key);
    }

    /**
     * The key of the Service a reference names (a Route's {@code services}, an upstream's {@code service}): its key,
     * or one of its hosts or virtual addresses as written, in any case. Null when none does.
     */
    public String serviceKeyOf(String reference) {
        if (reference == null) {
            return null;
        }
        if (serviceByKey.containsKey(reference)) {
            return reference;
        }
        return keyByReference.get(reference.toLowerCase(Locale.ROOT));
    }

    /** Every name an authority may carry to reach a Service (its key, cluster DNS names and hosts) → its key. */
    public Map<Authority, String> serviceKeysByName() {
        return keyByName;
    }

    /**
     * Every virtual address → the key of the Service owning it. IP literals are in their canonical text
     * ({@link InetAddress#getHostAddress}: {@code [FD00::10]:80} is {@code fd00:0:0:0:0:0:0:10:80}, and an
     * IPv4-mapped IPv6 address is its IPv4 address), so two spellings of one address are one; names are lower case.
     * In declaration order.
     */
    public Map<HostPort, String> serviceKeysByAddress() {
        return keyByAddress;
    }

    /** The Route of the Service with key {@code serviceKey}; null when none names it. */
    public Route routeOf(String serviceKey) {
        return serviceKey == null ? null : routeByKey.get(serviceKey);
    }

    /** Whether this is the index of exactly these Services and Routes. */
    boolean indexes(List<Service> services, List<Route> routes) {
        return this.services.equals(services) && this.routes.equals(routes);
    }

    /** The names every Service answers to whatever its hosts: its key and the key's cluster DNS names. */
    private static List<Authority> clusterNames(String key) {
        List<Authority> names = new ArrayList<>(1 + CLUSTER_DNS_SUFFIXES.size());
        addIfAny(names, key);
        for (String suffix : CLUSTER_DNS_SUFFIXES) {
            addIfAny(names, key + suffix);
        }
        return names;
    }

    private static void addIfAny(List<Authority> names, String text) {
        Authority name = Authority.of(text);
        if (name != null) {
            names.add(name);
        }
    }

    /** {@code address} with its host as the proxy compares original destinations (see {@link #serviceKeysByAddress}). */
    static HostPort canonical(HostPort address) {
        String host = address.host();
        if (HostNames.isIpv4(host) || HostNames.isIpv6(host)) {
            try {
                host = InetAddress.getByName(host).getHostAddress();
            } catch (UnknownHostException e) {
                throw new IllegalStateException("an IP literal is parsed, never looked up: " + host, e);
            }
        } else {
            host = host.toLowerCase(Locale.ROOT);
        }
        return new HostPort(host, address.port());
    }

    /** Derived from the Services and Routes alone, so equal for equal ones. */
    @Override
    public boolean equals(Object o) {
        return o instanceof MeshIndex other && services.equals(other.services) && routes.equals(other.routes);
    }

    @Override
    public int hashCode() {
        return Objects.hash(services, routes);
    }

    @Override
    public String toString() {
        return "MeshIndex[" + services.size() + " services, " + keyByName.size() + " names, " + keyByAddress.size()
                + " addresses, " + routeByKey.size() + " routed]";
    }

    // ---- the pass that builds it ------------------------------------------------------------------------------

    /**
     * One Service document to index.
     *
     * @param service the bound Service; null when its spec did not bind (its key still exists, its names are unknown)
     * @param origin  where it came from, handed back with each problem
     */
    record Declared<O>(String key, Service service, O origin) {
    }

    /**
     * A host or virtual address as one Service claims it.
     *
     * @param written as the Service wrote it
     * @param path    {@code spec.hosts[i]} or {@code spec.addresses[i]}
     */
    record Claim<O>(String key, String written, O origin, String path) {
    }

    private record Routed<O>(Route route, O origin) {
    }

    /**
     * What the pass finds wrong, told to whoever indexes: the validator words each at its file position, and
     * {@link #of} refuses the first. After each one the pass goes on as if it were not there (the first claim wins).
     */
    interface Problems<O> {
        /** A second Service with an earlier one's key. */
        void repeatedKey(String key, O first, O again);

        /** {@code spec.hosts[index]} is not a host name or IP address, optionally with a port 1-65535. */
        void invalidHost(String key, O origin, int index, String host);

        /** A host or virtual address already claimed by another Service. */
        void claimed(Claim<O> claim, Claim<O> first);

        /** A host whose name is another Service's key ({@code name} equals it) or one of its cluster DNS names. */
        void namesAnother(Claim<O> host, String name, String otherKey);

        /** {@code spec.services[index]} of a Route names no Service (only told when every Service bound). */
        void unknownService(Route route, O origin, int index, String reference);

        /** {@code spec.services[index]} of a Route names a Service that an earlier Route routes. */
        void routedTwice(String key, Route route, O origin, int index, Route first, O firstOrigin);
    }

    /**
     * Builds the index: every Service is declared up front (so names are checked against all of them), then each
     * Route is added; {@link #build} is only meaningful when no problem was told.
     */
    static final class Builder<O> {
        private final Problems<O> problems;
        /** Every key declared, bound or not, in order → where it was first declared. */
        private final Map<String, O> declared = new LinkedHashMap<>();
        private final List<Service> services = new ArrayList<>();
        private final Map<String, Service> serviceByKey = new HashMap<>();
        /** Lower-cased host and virtual address text, as written → the first Service writing it. */
        private final Map<String, String> keyByReference = new HashMap<>();
        private final Map<Authority, Claim<O>> hostClaims = new HashMap<>();
        private final Map<HostPort, Claim<O>> addressClaims = new LinkedHashMap<>();
        private final List<Route> routes = new ArrayList<>();
        private final Map<String, Routed<O>> routeByKey = new HashMap<>();
        /** False when some Service did not bind: its names are unknown, so unresolved references are not told. */
        private boolean complete = true;

        Builder(List<Declared<O>> declarations, Problems<O> problems) {
            this.problems = problems;
            for (Declared<O> declaration : declarations) {
                declare(declaration);
            }
            checkNamesOfOtherServices();
        }

        private void declare(Declared<O> d) {
            String key = d.key();
            if (d.service() == null) {
                complete = false;
            }
            if (declared.containsKey(key)) {
                problems.repeatedKey(key, declared.get(key), d.origin());
                return;
            }
            declared.put(key, d.origin());
            if (d.service() == null) {
                return;
            }
            services.add(d.service());
            serviceByKey.put(key, d.service());
            List<String> hosts = d.service().spec().hosts();
            for (int i = 0; i < hosts.size(); i++) {
                String host = hosts.get(i);
                keyByReference.putIfAbsent(host.toLowerCase(Locale.ROOT), key);
                if (!HostNames.isHostWithOptionalPort(host)) {
                    problems.invalidHost(key, d.origin(), i, host);
                }
                Authority name = Authority.of(host);
                if (name != null) {
                    claim(hostClaims, name, new Claim<>(key, host, d.origin(), "spec.hosts[" + i + "]"));
                }
            }
            List<HostPort> addresses = d.service().spec().addresses();
            for (int i = 0; i < addresses.size(); i++) {
                String text = addresses.get(i).toString();
                keyByReference.putIfAbsent(text.toLowerCase(Locale.ROOT), key);
                claim(addressClaims, canonical(addresses.get(i)),
                        new Claim<>(key, text, d.origin(), "spec.addresses[" + i + "]"));
            }
        }

        private <K> void claim(Map<K, Claim<O>> claims, K name, Claim<O> claim) {
            Claim<O> first = claims.putIfAbsent(name, claim);
            if (first != null && !first.key().equals(claim.key())) {
                problems.claimed(claim, first);
            }
        }

        /** Every Service answers to its key and cluster DNS names: a host of another Service may not be one. */
        private void checkNamesOfOtherServices() {
            for (String key : declared.keySet()) {
                for (Authority name : clusterNames(key)) {
                    Claim<O> owner = hostClaims.get(name);
                    if (owner != null && !owner.key().equals(key)) {
                        problems.namesAnother(owner, name.host(), key);
                    }
                }
            }
        }

        /** Adds a Route, after every Service: each Service it names is routed by it unless an earlier one does. */
        void route(Route route, O origin) {
            routes.add(route);
            List<String> references = route.spec().services();
            for (int i = 0; i < references.size(); i++) {
                String key = keyOf(references.get(i));
                if (key == null) {
                    if (complete) {
                        problems.unknownService(route, origin, i, references.get(i));
                    }
                    continue;
                }
                Routed<O> first = routeByKey.putIfAbsent(key, new Routed<>(route, origin));
                if (first != null && first.route() != route) {
                    problems.routedTwice(key, route, origin, i, first.route(), first.origin());
                }
            }
        }

        /** As {@link MeshIndex#serviceKeyOf}, over every key declared (a Service that did not bind has one too). */
        String keyOf(String reference) {
            if (declared.containsKey(reference)) {
                return reference;
            }
            return keyByReference.get(reference.toLowerCase(Locale.ROOT));
        }

        /** Whether a Service with this key was declared, bound or not. */
        boolean isKey(String key) {
            return declared.containsKey(key);
        }

        /** The bound Service with this key; null when there is none or its spec did not bind. */
        Service service(String key) {
            return serviceByKey.get(key);
        }

        /** Every key declared, in order. */
        Set<String> keys() {
            return Collections.unmodifiableSet(declared.keySet());
        }

        /** The lower-cased hosts and addresses references may name. */
        Set<String> hostReferences() {
            return Collections.unmodifiableSet(keyByReference.keySet());
        }

        /** False when some Service did not bind. */
        boolean complete() {
            return complete;
        }

        MeshIndex build() {
            return new MeshIndex(this);
        }
    }

    /** {@link #of}'s problems: the first one refuses the whole set, in the words of the proxy's routing table. */
    private static final class Refusals implements Problems<Void> {
        @Override
        public void repeatedKey(String key, Void first, Void again) {
            throw new IllegalArgumentException("service " + key + " is declared more than once");
        }

        @Override
        public void invalidHost(String key, Void origin, int index, String host) {
            throw new IllegalArgumentException("service " + key + ": invalid host \"" + host + "\"");
        }

        @Override
        public void claimed(Claim<Void> claim, Claim<Void> first) {
            String what = claim.path().startsWith("spec.addresses") ? "address " + claim.written()
                    : "host \"" + claim.written() + "\"";
            throw new IllegalArgumentException(what + " is claimed by services " + first.key() + " and "
                    + claim.key());
        }

        @Override
        public void namesAnother(Claim<Void> host, String name, String otherKey) {
            throw new IllegalArgumentException("host \"" + host.written() + "\" is claimed by services " + otherKey
                    + " and " + host.key());
        }

        @Override
        public void unknownService(Route route, Void origin, int index, String reference) {
            throw new IllegalArgumentException("route " + route.metadata().qualifiedName()
                    + ": spec.services names unknown service \"" + reference + "\"");
        }

        @Override
        public void routedTwice(String key, Route route, Void origin, int index, Route first, Void firstOrigin) {
            throw new IllegalArgumentException("route " + route.metadata().qualifiedName() + ": service " + key
                    + " is already routed by route " + first.metadata().qualifiedName());
        }
    }
}
