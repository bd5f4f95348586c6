package io.remora.proxy.listener;

import io.remora.proxy.tls.PeerIdentity;
import io.netty.channel.Channel;
import io.remora.config.Defaults;
import io.remora.proxy.ProxyContext;
import io.remora.proxy.cluster.Cluster;
import io.remora.proxy.cluster.Endpoint;
import io.remora.proxy.inbound.InboundTarget;
import io.remora.proxy.log.AccessLogEntry;
import io.remora.log.Log;
import io.remora.proxy.net.OwnConnections;
import io.remora.proxy.metrics.Reporter;
import io.remora.proxy.metrics.TcpMeters;
import io.remora.proxy.route.ServiceRoutes;
import io.remora.proxy.tcp.TcpRelay;

import java.net.InetSocketAddress;
import java.time.Duration;

/**
 * Opaque TCP: picks the destination (the local app, a service endpoint, or the original destination for
 * unknown services), relays bytes, and reports Istio's TCP metrics and one access-log line per connection.
 */
final class TcpForwarder {
    private final ProxyContext pc;
    private final ListenerSpec listener;

    TcpForwarder(ProxyContext pc, ListenerSpec listener) {
        this.pc = pc;
        this.listener = listener;
    }

    void forward(Channel downstream, InetSocketAddress originalDst) {
        InetSocketAddress target;
        InetSocketAddress source = null;
        String service;
        String cluster;
        Endpoint endpoint = null;
        Duration connectTimeout = Defaults.CONNECT_TIMEOUT;
        switch (listener.kind()) {
            case INBOUND -> {
                if (!pc.routes().authorizer().allowsAll()
                        && pc.routes().authorizer().check(PeerIdentity.of(downstream), null, null) != null) {
                    // Refused by an authorization policy: nothing is relayed.
                    log(downstream, pc.environment().clock().millis(), pc.environment().ticker().nanoTime(), listener.inboundCluster(), null,
                            "RBAC", 0, 0);
                    downstream.close();
                    return;
                }
                InboundTarget app = pc.inboundApps().target(originalDst);
                target = app.address();
                source = app.source();
                service = pc.inboundService();
                cluster = app.cluster();
            }
            case OUTBOUND_EXPLICIT -> {
                ServiceRoutes s = pc.routes().byKey(listener.serviceKey());
                Cluster c = s == null ? null : s.defaultCluster();
                endpoint = c == null ? null : c.pick();
                service = listener.serviceKey();
                cluster = c == null ? service : c.name();
                if (endpoint == null) {
                    refuse(downstream, service, cluster, "UH");
                    return;
                }
                target = endpoint.address();
                connectTimeout = c.policy().connectTimeout();
            }
            default -> {
                ServiceRoutes s = originalDst == null ? null : pc.routes().byAddress(originalDst);
                if (s == null) {
                    if (pc.ownConnections().isOwn(downstream.remoteAddress())) {
                        // Our own passthrough connection, captured again: relaying it would loop forever.
                        OwnConnections.logRefused(originalDst, downstream.remoteAddress());
                        refuse(downstream, "PassthroughCluster", "PassthroughCluster", "LOOP");
                        return;
                    }
                    target = originalDst;
                    service = "PassthroughCluster";
                    cluster = service;
                } else {
                    Cluster c = s.defaultCluster();
                    endpoint = c.pick();
                    service = s.serviceKey();
                    cluster = c.name();
                    if (endpoint == null) {
                        refuse(downstream, service, cluster, "UH");
                        return;
                    }
                    target = endpoint.address();
                    connectTimeout = c.policy().connectTimeout();
                }
            }
        }
        Reporter reporter = listener.outbound() ? Reporter.SOURCE : Reporter.DESTINATION;
        // The verified peer: the caller inbound; outbound, the identity the upstream must prove (mTLS to it).
        String peer = !listener.outbound() ? principal(downstream)
                : endpoint != null && endpoint.spiffeId() != null && pc.upstreamTls() != null ? endpoint.identity()
                : null;
        TcpMeters meters = pc.metrics().tcp(reporter, service, peer);
        long start = pc.environment().clock().millis();
        long startNanos = pc.environment().ticker().nanoTime();
        Endpoint ep = endpoint;
        if (ep != null) {
            ep.requestStarted();
        }
        InetSocketAddress dst = target;
        TcpRelay.Secure secure = ep != null && ep.spiffeId() != null && pc.upstreamTls() != null
                ? new TcpRelay.Secure(pc.upstreamTls(), ep.spiffeId()) : null;
        TcpRelay.start(downstream, target, source, connectTimeout, pc.transport().socketChannel(), secure,
                new TcpRelay.Listener() {
                    @Override
                    public void upstreamChannel(io.netty.channel.Channel upstream) {
                        pc.ownConnections().track(upstream);
                    }

            private String flags = "-";

            @Override
            public void connected(InetSocketAddress upstream) {
                meters.opened();
            }

            @Override
            public void connectFailed(Throwable cause) {
                // The relay reports nothing after a failed connect (closed() is not called): finish here.
                flags = "UF";
                if (ep != null) {
                    ep.requestFinished();
                }
                Log.warn("tcp_connect_failed", "listener", listener.name(), "upstream", String.valueOf(dst),
                        "cause", String.valueOf(cause.getMessage()));
                log(downstream, start, startNanos, cluster, dst, flags, 0, 0);
            }

            @Override
            public void closed(long fromDownstream, long fromUpstream) {
                if (ep != null) {
                    ep.requestFinished();
                }
                meters.received(fromDownstream);
                meters.sent(fromUpstream);
                meters.closed();
                log(downstream, start, startNanos, cluster, dst, flags, fromDownstream, fromUpstream);
            }
        });
    }

    private void refuse(Channel downstream, String service, String cluster, String flags) {
        if ("UH".equals(flags)) {
            Log.warn("tcp_no_healthy_upstream", "listener", listener.name(), "service", service);
        }
        log(downstream, pc.environment().clock().millis(), pc.environment().ticker().nanoTime(), cluster, null, flags, 0, 0);
        downstream.close();
    }

    private static String principal(Channel downstream) {
        io.remora.certs.SpiffeId id = PeerIdentity.of(downstream);
        return id == null ? null : id.toString();
    }

    private void log(Channel downstream, long start, long startNanos, String cluster, InetSocketAddress upstream,
                     String flags, long in, long out) {
        if (!pc.accessLog().enabled()) {
            return;
        }
        String remote = downstream.remoteAddress() instanceof InetSocketAddress r
                ? r.getAddress().getHostAddress() : null;
        pc.accessLog().log(new AccessLogEntry(start, listener.outbound() ? "outbound" : "inbound", "TCP", null, null,
                null, 0, null, flags, (pc.environment().ticker().nanoTime() - startNanos) / 1000, cluster,
                upstream == null ? null : upstream.getHostString() + ":" + upstream.getPort(), in, out, null, remote,
                null, null, listener.outbound() ? null : principal(downstream)));
    }
}
