package io.remora.proxy.http;

import io.remora.proxy.authz.Authorizer;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.remora.config.Defaults;
import io.remora.config.Service;
import io.remora.proxy.ProxyContext;
import io.remora.proxy.cluster.Cluster;
import io.remora.proxy.inbound.InboundTarget;
import io.remora.proxy.listener.ListenerSpec;
import io.remora.proxy.net.OwnConnections;
import io.remora.proxy.route.RouteMatch;
import io.remora.proxy.route.RouteTable;
import io.remora.proxy.route.ServiceRoutes;

import java.net.InetSocketAddress;
import java.net.SocketAddress;

/**
 * Decides where one HTTP request goes: service (by listener, Host/:authority or original destination),
 * then rule, then backend cluster, then endpoint. Writes the decision into the exchange, or answers
 * the request itself (404 NR, 503 UH) and returns false.
 */
final class Router {
    private Router() {
    }

    /** Cluster name Envoy and Istio use for traffic to destinations the mesh does not know. */
    static final String PASSTHROUGH = "PassthroughCluster";

    /** Inbound: the workload's authorization policies, by the caller's verified identity; 403 RBAC when refused. */
    private static boolean authorized(HttpExchange ex, ProxyContext pc, HttpRequest req) {
        Authorizer authz = pc.routes().authorizer();
        if (authz.allowsAll()) {
            return true;
        }
        String uri = req.uri();
        int q = uri.indexOf('?');
        Authorizer.Denial denial = authz.check(ex.downstreamPrincipal(), ex.downstreamNamespace(),
                q < 0 ? uri : uri.substring(0, q), req.method().name());
        if (denial == null) {
            return true;
        }
        ex.reply(HttpResponseStatus.FORBIDDEN, ResponseFlags.RBAC, "RBAC: access denied (" + denial.reason() + ")");
        return false;
    }

    static boolean route(HttpExchange ex, ProxyContext pc, ListenerSpec listener, InetSocketAddress originalDst,
                         SocketAddress downstreamRemote, HttpRequest req) {
        switch (listener.kind()) {
            case INBOUND -> {
                InboundTarget app = pc.inboundApps().target(originalDst);
                // The service the source sidecar routed to (over mTLS); else this workload's own name.
                ex.destinationService = ex.calledService != null ? ex.calledService : pc.inboundService();
                ex.clusterName = app.cluster();
                ex.routeName = "inbound";
                ex.address = app.address();
                ex.sourceAddress = app.source();
                ex.upstreamH2 = app.protocol() != null && app.protocol().isHttp2Upstream();
                ex.connectTimeout = Defaults.CONNECT_TIMEOUT;
                ex.idleTimeout = Defaults.UPSTREAM_IDLE_TIMEOUT;
                return authorized(ex, pc, req);
            }
            case OUTBOUND_EXPLICIT -> {
                ServiceRoutes service = pc.routes().byKey(listener.serviceKey());
                if (service == null) {
                    ex.reply(HttpResponseStatus.NOT_FOUND, ResponseFlags.NO_ROUTE,
                            "no service " + listener.serviceKey() + " in the current config");
                    return false;
                }
                return toService(ex, service, req);
            }
            case OUTBOUND_CAPTURE -> {
                RouteTable routes = pc.routes();
                String host = req.headers().get(HttpHeaderNames.HOST);
                ServiceRoutes service = host == null ? null : routes.byAuthority(host);
                if (service == null && originalDst != null) {
                    service = routes.byAddress(originalDst);
                }
                if (service != null) {
                    return toService(ex, service, req);
                }
                if (originalDst == null) {
                    ex.reply(HttpResponseStatus.NOT_FOUND, ResponseFlags.NO_ROUTE,
                            "no service for host '" + host + "' and no original destination");
                    return false;
                }
                if (pc.ownConnections().isOwn(downstreamRemote)) {
                    // Our own passthrough connection, captured again: relaying it would loop forever.
                    OwnConnections.logRefused(originalDst, downstreamRemote);
                    ex.reply(HttpResponseStatus.SERVICE_UNAVAILABLE, ResponseFlags.LOOP,
                            "passthrough to " + originalDst + " was captured back into the proxy");
                    return false;
                }
                // Unknown destination: pass through to where the app meant to go (Istio's ALLOW_ANY).
                ex.destinationService = PASSTHROUGH;
                ex.clusterName = PASSTHROUGH;
                ex.routeName = "passthrough";
                ex.address = originalDst;
                ex.upstreamH2 = false;
                ex.connectTimeout = Defaults.CONNECT_TIMEOUT;
                ex.idleTimeout = Defaults.UPSTREAM_IDLE_TIMEOUT;
                return true;
            }
            default -> throw new IllegalStateException("unknown listener kind " + listener.kind());
        }
    }

    private static boolean toService(HttpExchange ex, ServiceRoutes service, HttpRequest req) {
        ex.destinationService = service.serviceKey();
        RouteMatch match = service.match(req.method().name(), req.uri(), req.headers());
        if (match == null) {
            ex.reply(HttpResponseStatus.NOT_FOUND, ResponseFlags.NO_ROUTE,
                    "no route rule of " + service.serviceKey() + " matches " + req.method() + " " + req.uri());
            return false;
        }
        Cluster cluster = match.cluster();
        ex.routeName = match.ruleName() == null ? match.routeName() : match.routeName() + "/" + match.ruleName();
        ex.clusterName = cluster.name();
        if (cluster.endpoints().isEmpty()) {
            ex.reply(HttpResponseStatus.SERVICE_UNAVAILABLE, ResponseFlags.NO_HEALTHY_UPSTREAM,
                    "no healthy upstream for " + cluster.name());
            return false;
        }
        // The endpoint is chosen per try, once the request's policies let it through.
        Service.TrafficPolicy policy = cluster.policy();
        ex.cluster = cluster;
        ex.policy = match.policy();
        ex.upstreamH2 = cluster.protocol().isHttp2Upstream();
        ex.connectTimeout = policy.connectTimeout();
        ex.idleTimeout = policy.upstreamIdleTimeout();
        return true;
    }
}
