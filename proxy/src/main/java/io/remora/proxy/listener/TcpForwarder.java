package io.remora.proxy.listener;

import io.netty.channel.Channel;
import io.remora.config.Defaults;
import io.remora.log.Log;
import io.remora.proxy.ProxyContext;
import io.remora.proxy.cluster.Cluster;
import io.remora.proxy.cluster.Endpoint;
import io.remora.proxy.http.ResponseFlags;
import io.remora.proxy.metrics.Reporter;
import io.remora.proxy.metrics.TcpMeters;
import io.remora.proxy.route.Destination;
import io.remora.proxy.route.RouteDecision;
import io.remora.proxy.route.ServiceRoutes;
import io.remora.proxy.tcp.TcpRelay;

import java.net.InetSocketAddress;
import java.time.Duration;

/**
 * Opaque TCP to the connection's {@link Destination}: inbound, the authorization policies first; a service's
 * endpoint picked from its default cluster; the original address for passthrough; then the bytes relayed, with
 * Istio's TCP metrics and one access-log line per connection ({@link TcpRelayReport}).
 */
final class TcpForwarder {
    private final ProxyContext pc;
    private final ListenerSpec listener;
    /** The listener's name, worked out once: each relay's report carries it. */
    private final String listenerName;
    private final TcpAccessLog log;

    TcpForwarder(ProxyContext pc, ListenerSpec listener) {
        this.pc = pc;
        this.listener = listener;
        this.listenerName = listener.name();
        this.log = new TcpAccessLog(pc, listener);
    }

    /** Where the relay connects, and what it is counted and logged under. */
    private record Hop(InetSocketAddress address, InetSocketAddress source, String service, String cluster,
                       Endpoint endpoint, Duration connectTimeout) {
    }

    /** @param conn the connection, read after any TLS handshake (its peer's identity is authorized here) */
    void forward(Channel downstream, ConnectionInfo conn, Destination destination) {
        Destination d = authorized(destination, conn);
        if (d instanceof Destination.Refused refused) {
            Destinations.reportLoop(refused, conn.originalDst(), conn.peer());
            RouteDecision.LocalAnswer why = refused.answer();
            log.refused(conn, why.clusterName(), why.flags(), why.message());
            downstream.close();
            return;
        }
        Hop hop = hop(d);
        if (hop == null) {
            ServiceRoutes service = (ServiceRoutes) d;
            String cluster = service.defaultCluster().name();
            Log.warn("tcp_no_healthy_upstream", "listener", listenerName, "service", service.serviceKey());
            log.refused(conn, cluster, ResponseFlags.NO_HEALTHY_UPSTREAM, "no healthy upstream for " + cluster);
            downstream.close();
            return;
        }
        relay(downstream, conn, hop);
    }

    /** Inbound: the destination unless an authorization policy refuses the caller (a connection has no path). */
    private Destination authorized(Destination d, ConnectionInfo conn) {
        if (d instanceof Destination.LocalApp local) {
            Destination.Refused denied = Destinations.authorize(pc, local, local.service(), conn.peerPrincipal(),
                    conn.peerNamespace(), null, null);
            return denied != null ? denied : d;
        }
        return d;
    }

    /** The hop to {@code d}; null for a service without a healthy endpoint. */
    private static Hop hop(Destination d) {
        if (d instanceof ServiceRoutes service) {
            Cluster c = service.defaultCluster();
            Endpoint endpoint = c.pick();
            return endpoint == null ? null : new Hop(endpoint.address(), null, service.serviceKey(), c.name(),
                    endpoint, c.policy().connectTimeout());
        }
        if (d instanceof Destination.Passthrough passthrough) {
            return new Hop(passthrough.address(), null, Destination.Passthrough.CLUSTER,
                    Destination.Passthrough.CLUSTER, null, Defaults.CONNECT_TIMEOUT);
        }
        Destination.LocalApp local = (Destination.LocalApp) d;
        return new Hop(local.app().address(), local.app().source(), local.service(), local.app().cluster(), null,
                Defaults.CONNECT_TIMEOUT);
    }

    private void relay(Channel downstream, ConnectionInfo conn, Hop hop) {
        Endpoint ep = hop.endpoint();
        boolean secure = ep != null && ep.spiffeId() != null && pc.upstreamTls() != null;
        Reporter reporter = listener.outbound() ? Reporter.SOURCE : Reporter.DESTINATION;
        // The verified peer: the caller inbound; outbound, the identity the upstream must prove (mTLS to it).
        String peer = !listener.outbound() ? conn.peerPrincipal() : secure ? ep.identity() : null;
        TcpMeters meters = pc.metrics().tcp(reporter, hop.service(), peer);
        TcpRelayReport report = new TcpRelayReport(log, pc.ownConnections(), meters, conn, listenerName,
                hop.cluster(), hop.address(), ep, pc.environment().clock().millis(),
                pc.environment().ticker().nanoTime());
        TcpRelay.start(downstream, hop.address(), hop.source(), hop.connectTimeout(), pc.transport().socketChannel(),
                secure ? new TcpRelay.Secure(pc.upstreamTls(), ep.spiffeId()) : null, report);
    }
}
