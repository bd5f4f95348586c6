package io.remora.proxy;

import io.remora.proxy.tls.HandshakeRefusals;
import io.remora.proxy.tls.IdentitySource;
import io.remora.proxy.tls.TlsMeters;
import io.remora.proxy.tls.UpstreamTls;
import io.netty.channel.group.ChannelGroup;
import io.remora.config.Sidecar;
import io.remora.proxy.http.RequestHeadRules;
import io.remora.proxy.inbound.InboundApps;
import io.remora.proxy.inbound.LocalListeners;
import io.remora.proxy.http.UpstreamPools;
import io.remora.proxy.log.AccessLog;
import io.remora.proxy.metrics.ProxyMetrics;
import io.remora.proxy.route.RouteTable;

import java.util.concurrent.atomic.AtomicReference;

/**
 * What every connection handler of one proxy shares: the current routing table (swapped atomically on a
 * config change), metrics, access log, upstream pools and the drain flag. Per-request state never lives
 * here.
 */
public final class ProxyContext {
    private final io.remora.proxy.log.RequestTap tap = new io.remora.proxy.log.RequestTap();
    private final io.remora.proxy.tracing.Tracing tracing;
    private final Sidecar sidecar;
    private final Transport transport;
    private final ProxyMetrics metrics;
    private final AccessLog accessLog;
    private final UpstreamPools pools;
    /** Where tries get their streams: {@link #pools} unless a test put embedded channels in their place. */
    private volatile io.remora.proxy.http.UpstreamStreams upstreams;
    private final ChannelGroup downstreamConnections;
    private final AtomicReference<RouteTable> routes;
    private final String inboundService;
    private final IdentitySource identity;
    private final String principal;
    private final TlsMeters tlsMeters;
    private final HandshakeRefusals handshakeRefusals;
    private final io.remora.proxy.http.PeerMetadata peerMetadata;
    private final UpstreamTls upstreamTls;
    private final RequestHeadRules headRules;
    private final InboundApps inboundApps;
    private final ProxyEnvironment environment;
    private final io.remora.proxy.net.OwnPorts ownPorts = new io.remora.proxy.net.OwnPorts();
    private final io.remora.proxy.net.OwnConnections ownConnections = new io.remora.proxy.net.OwnConnections();
    private volatile boolean draining;

    public ProxyContext(Sidecar sidecar, Transport transport, ProxyMetrics metrics, AccessLog accessLog,
                        RouteTable routes, ChannelGroup downstreamConnections) {
        this(sidecar, transport, metrics, accessLog, routes, downstreamConnections, null, TlsMeters.unregistered());
    }

    /**
     * @param identity the workload's mTLS material; null when mTLS is off
     */
    public ProxyContext(Sidecar sidecar, Transport transport, ProxyMetrics metrics, AccessLog accessLog,
                        RouteTable routes, ChannelGroup downstreamConnections, IdentitySource identity,
                        TlsMeters tlsMeters) {
        this(sidecar, transport, metrics, accessLog, routes, downstreamConnections, identity, tlsMeters,
                ProxyEnvironment.SYSTEM);
    }

    /** @param environment the time and random source of the request path */
    public ProxyContext(Sidecar sidecar, Transport transport, ProxyMetrics metrics, AccessLog accessLog,
                        RouteTable routes, ChannelGroup downstreamConnections, IdentitySource identity,
                        TlsMeters tlsMeters, ProxyEnvironment environment) {
        this.environment = environment;
        this.identity = identity;
        this.principal = identity == null ? null : identity.current().svid().id().toString();
        this.tlsMeters = tlsMeters;
        this.handshakeRefusals = new HandshakeRefusals(tlsMeters, environment.ticker()::nanoTime);
        this.upstreamTls = identity == null ? null : new UpstreamTls(identity, tlsMeters);
        this.sidecar = sidecar;
        this.transport = transport;
        this.metrics = metrics;
        this.accessLog = accessLog;
        this.routes = new AtomicReference<>(routes);
        this.downstreamConnections = downstreamConnections;
        this.pools = new UpstreamPools(transport, upstreamTls, ownConnections);
        this.upstreams = pools;
        this.inboundService = workload() + "." + namespace();
        this.headRules = new RequestHeadRules(sidecar.spec().limits());
        this.tracing = io.remora.proxy.tracing.Tracing.create(sidecar, principal, metrics.registry(), environment);
        io.micrometer.core.instrument.FunctionCounter.builder("remora_tap_lines_dropped", tap,
                        io.remora.proxy.log.RequestTap::dropped)
                .description("Live-tap lines a slow reader lost (GET /debug/tap)").register(metrics.registry());
        this.peerMetadata = new io.remora.proxy.http.PeerMetadata(metrics.self());
        this.inboundApps = sidecar.spec().inbound() == null ? null
                : new InboundApps(sidecar.spec().inbound(), LocalListeners.system());
    }

    /** The ports of this proxy's own listeners, for loop detection. */
    public io.remora.proxy.net.OwnPorts ownPorts() {
        return ownPorts;
    }

    /** The local addresses of this proxy's upstream connections, for self-capture detection. */
    public io.remora.proxy.net.OwnConnections ownConnections() {
        return ownConnections;
    }

    /** The request path's time and random source. */
    public ProxyEnvironment environment() {
        return environment;
    }

    /** Where inbound connections go in the pod; null without an inbound listener. */
    public InboundApps inboundApps() {
        return inboundApps;
    }

    /** What this sidecar tells its peers of itself, and what they told (Istio's metadata exchange). */
    public io.remora.proxy.http.PeerMetadata peerMetadata() {
        return peerMetadata;
    }

    /** The request-head checks compiled from the Sidecar's limits. */
    /** Readers of the live tap ({@code /debug/tap}); every finished request is offered to them. */
    public io.remora.proxy.log.RequestTap tap() {
        return tap;
    }

    /** The proxy's tracing (off unless the Sidecar names a collector); closed when the proxy stops. */
    public io.remora.proxy.tracing.Tracing tracing() {
        return tracing;
    }

    public RequestHeadRules headRules() {
        return headRules;
    }

    /** This workload's SPIFFE ID (constant across rotations); null when mTLS is off. */
    public String principal() {
        return principal;
    }

    /** The workload's mTLS material; null when mTLS is off. */
    public IdentitySource identity() {
        return identity;
    }

    public TlsMeters tlsMeters() {
        return tlsMeters;
    }

    /** Counts inbound mTLS refusals and logs them, at most a line a second. */
    public HandshakeRefusals handshakeRefusals() {
        return handshakeRefusals;
    }

    /** Originates mTLS to endpoints with an identity; null when mTLS is off. */
    public UpstreamTls upstreamTls() {
        return upstreamTls;
    }

    public Sidecar sidecar() {
        return sidecar;
    }

    public Sidecar.Spec spec() {
        return sidecar.spec();
    }

    public String workload() {
        return sidecar.workload();
    }

    public String namespace() {
        return sidecar.metadata().namespace();
    }

    /** {@code workload.namespace}: the destination_service of inbound traffic, named once. */
    public String inboundService() {
        return inboundService;
    }

    public Transport transport() {
        return transport;
    }

    public ProxyMetrics metrics() {
        return metrics;
    }

    public AccessLog accessLog() {
        return accessLog;
    }

    /** Where a try gets its upstream stream. */
    public io.remora.proxy.http.UpstreamStreams upstreams() {
        return upstreams;
    }

    /**
     * Replaces where tries get their streams, before any traffic: the exchange's unit tests hand out embedded
     * channels so that no socket is opened. The pools stay for the admin view and drain.
     */
    public void useUpstreams(io.remora.proxy.http.UpstreamStreams streams) {
        this.upstreams = java.util.Objects.requireNonNull(streams);
    }

    public UpstreamPools pools() {
        return pools;
    }

    public ChannelGroup downstreamConnections() {
        return downstreamConnections;
    }

    public RouteTable routes() {
        return routes.get();
    }

    public void swapRoutes(RouteTable next) {
        routes.set(next);
    }

    public boolean draining() {
        return draining;
    }

    void startDraining() {
        draining = true;
    }

}
