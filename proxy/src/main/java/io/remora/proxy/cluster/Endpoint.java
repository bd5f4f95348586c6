package io.remora.proxy.cluster;

import io.remora.config.HostPort;
import io.remora.config.Service;

import java.net.InetSocketAddress;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One {@code ip:port} of a service, with its expected identity and weight. Built once per snapshot and shared by
 * every cluster that contains it (the whole service and each of its subsets). Its mutable part, the
 * {@link EndpointHealth} (requests in flight, outlier state), outlives the snapshot: the service's guard hands the
 * same one to the endpoint of the same address in the next snapshot. It is updated from several event loops.
 */
public final class Endpoint {
    private final HostPort hostPort;
    private final InetSocketAddress address;
    private final String identity;
    private final io.remora.certs.SpiffeId spiffeId;
    private final int weight;
    private final Map<String, String> labels;
    private final EndpointHealth health;
    private final AtomicInteger activeRequests;

    Endpoint(HostPort hostPort, String identity, int weight, Map<String, String> labels, EndpointHealth health) {
        this.hostPort = Objects.requireNonNull(hostPort, "hostPort");
        if (weight <= 0) {
            throw new IllegalArgumentException("endpoint " + hostPort + ": weight must be > 0, got " + weight);
        }
        // Resolved once here, when the snapshot is applied; an unresolvable name stays unresolved and fails at connect.
        this.address = new InetSocketAddress(hostPort.host(), hostPort.port());
        this.identity = identity;
        this.spiffeId = identity == null ? null : io.remora.certs.SpiffeId.parse(identity);
        this.weight = weight;
        this.labels = Map.copyOf(labels);
        this.health = Objects.requireNonNull(health, "health");
        this.activeRequests = health.activeRequests;
    }

    /** An endpoint with health of its own (not kept by any guard). */
    static Endpoint of(Service.Endpoint config) {
        return of(config, new EndpointHealth(config.address().toString()));
    }

    static Endpoint of(Service.Endpoint config, EndpointHealth health) {
        return new Endpoint(config.address(), config.identity(), config.weight(), config.labels(), health);
    }

    EndpointHealth health() {
        return health;
    }

    public HostPort hostPort() {
        return hostPort;
    }

    public InetSocketAddress address() {
        return address;
    }

    /** Expected SPIFFE ID of the endpoint; null when the config names none. */
    public String identity() {
        return identity;
    }

    /** The expected identity, parsed once; null when the endpoint declares none (no mTLS to it). */
    public io.remora.certs.SpiffeId spiffeId() {
        return spiffeId;
    }

    public int weight() {
        return weight;
    }

    public Map<String, String> labels() {
        return labels;
    }

    /** Requests sent to this endpoint that have not finished yet (used by the least-request balancer). */
    public int activeRequests() {
        return activeRequests.get();
    }

    public void requestStarted() {
        activeRequests.incrementAndGet();
    }

    public void requestFinished() {
        activeRequests.decrementAndGet();
    }

    boolean hasLabels(Map<String, String> selector) {
        for (Map.Entry<String, String> e : selector.entrySet()) {
            if (!e.getValue().equals(labels.get(e.getKey()))) {
                return false;
            }
        }
        return true;
    }

    /** {@code host:port}, IPv6 hosts bracketed. */
    @Override
    public String toString() {
        return hostPort.toString();
    }
}
