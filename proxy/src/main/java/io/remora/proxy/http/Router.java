package io.remora.proxy.http;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.remora.config.Defaults;
import io.remora.proxy.ProxyContext;
import io.remora.proxy.authz.Authorizer;
import io.remora.proxy.cluster.Cluster;
import io.remora.proxy.inbound.InboundTarget;
import io.remora.proxy.listener.ListenerSpec;
import io.remora.proxy.net.OwnConnections;
import io.remora.proxy.route.RouteDecision;
import io.remora.proxy.route.RouteMatch;
import io.remora.proxy.route.RoutePolicy;
import io.remora.proxy.route.RouteTable;
import io.remora.proxy.route.ServiceRoutes;

import java.net.InetSocketAddress;
import java.net.SocketAddress;

/**
 * Decides where one HTTP request goes: service (by listener, Host/:authority or original destination), then rule,
 * then backend cluster (the endpoint is picked per try, once the request's policies let it through). Returns the
 * decision as a value, {@link RouteDecision.Upstream} or {@link RouteDecision.LocalAnswer} (404 NR, 503 UH/LOOP,
 * 403 RBAC); it writes nothing into the exchange.
 */
final class Router {
    private Router() {
    }

    /** Cluster name Envoy and Istio use for traffic to destinations the mesh does not know. */
    static final String PASSTHROUGH = "PassthroughCluster";

    /** What the router needs to know of a request beyond its head: its connection. */
    interface Request {
        ListenerSpec listener();

        InetSocketAddress originalDst();

        SocketAddress downstreamRemote();

        /** The caller's verified SPIFFE ID (inbound mutual TLS), or null. */
        String peerPrincipal();

        String peerNamespace();

        /** Inbound: the service the source sidecar says it called, or null. */
        String calledService();
    }

    /** A request's connection as plain values (tests). */
    record Values(ListenerSpec listener, InetSocketAddress originalDst, SocketAddress downstreamRemote,
                  String peerPrincipal, String peerNamespace, String calledService) implements Request {
    }

    static RouteDecision route(ProxyContext pc, Request r, HttpRequest req) {
        switch (r.listener().kind()) {
            case INBOUND -> {
                InboundTarget app = pc.inboundApps().target(r.originalDst());
                // The service the source sidecar routed to (over mTLS); else this workload's own name.
                String service = r.calledService() != null ? r.calledService() : pc.inboundService();
                RouteDecision.LocalAnswer refused = authorize(pc, r, req, service, app.cluster());
                if (refused != null) {
                    return refused;
                }
                return new RouteDecision.Upstream(service, app.cluster(), "inbound", null, RoutePolicy.NONE,
                        app.address(), app.source(), app.protocol() != null && app.protocol().isHttp2Upstream(),
                        Defaults.CONNECT_TIMEOUT, Defaults.UPSTREAM_IDLE_TIMEOUT);
            }
            case OUTBOUND_EXPLICIT -> {
                ServiceRoutes service = pc.routes().byKey(r.listener().serviceKey());
                if (service == null) {
                    return noRoute(null, "no service " + r.listener().serviceKey() + " in the current config");
                }
                return toService(service, req);
            }
            case OUTBOUND_CAPTURE -> {
                RouteTable routes = pc.routes();
                String host = req.headers().get(HttpHeaderNames.HOST);
                ServiceRoutes service = host == null ? null : routes.byAuthority(host);
                if (service == null && r.originalDst() != null) {
                    service = routes.byAddress(r.originalDst());
                }
                if (service != null) {
                    return toService(service, req);
                }
                if (r.originalDst() == null) {
                    return noRoute(null, "no service for host '" + host + "' and no original destination");
                }
                if (pc.ownConnections().isOwn(r.downstreamRemote())) {
                    // Our own passthrough connection, captured again: relaying it would loop forever.
                    OwnConnections.logRefused(r.originalDst(), r.downstreamRemote());
                    return new RouteDecision.LocalAnswer(HttpResponseStatus.SERVICE_UNAVAILABLE, ResponseFlags.LOOP,
                            "passthrough to " + r.originalDst() + " was captured back into the proxy", "unknown",
                            null, null);
                }
                // Unknown destination: pass through to where the app meant to go (Istio's ALLOW_ANY).
                return new RouteDecision.Upstream(PASSTHROUGH, PASSTHROUGH, "passthrough", null, RoutePolicy.NONE,
                        r.originalDst(), null, false, Defaults.CONNECT_TIMEOUT, Defaults.UPSTREAM_IDLE_TIMEOUT);
            }
            default -> throw new IllegalStateException("unknown listener kind " + r.listener().kind());
        }
    }

    /** Inbound: the workload's authorization policies, by the caller's verified identity; 403 RBAC when refused. */
    private static RouteDecision.LocalAnswer authorize(ProxyContext pc, Request r, HttpRequest req, String service,
                                                       String cluster) {
        Authorizer authz = pc.routes().authorizer();
        if (authz.allowsAll()) {
            return null;
        }
        String uri = req.uri();
        int q = uri.indexOf('?');
        Authorizer.Denial denial = authz.check(r.peerPrincipal(), r.peerNamespace(),
                q < 0 ? uri : uri.substring(0, q), req.method().name());
        return denial == null ? null : new RouteDecision.LocalAnswer(HttpResponseStatus.FORBIDDEN, ResponseFlags.RBAC,
                "RBAC: access denied (" + denial.reason() + ")", service, cluster, "inbound");
    }

    private static RouteDecision toService(ServiceRoutes service, HttpRequest req) {
        RouteMatch match = service.match(req.method().name(), req.uri(), req.headers());
        if (match == null) {
            return noRoute(service.serviceKey(), "no route rule of " + service.serviceKey() + " matches "
                    + req.method() + " " + req.uri());
        }
        Cluster cluster = match.cluster();
        if (cluster.endpoints().isEmpty()) {
            RouteDecision.Upstream u = match.upstream();
            return new RouteDecision.LocalAnswer(HttpResponseStatus.SERVICE_UNAVAILABLE,
                    ResponseFlags.NO_HEALTHY_UPSTREAM, "no healthy upstream for " + cluster.name(),
                    u.destinationService(), u.clusterName(), u.routeName());
        }
        return match.upstream();
    }

    private static RouteDecision.LocalAnswer noRoute(String service, String message) {
        return new RouteDecision.LocalAnswer(HttpResponseStatus.NOT_FOUND, ResponseFlags.NO_ROUTE, message,
                service == null ? "unknown" : service, null, null);
    }
}
