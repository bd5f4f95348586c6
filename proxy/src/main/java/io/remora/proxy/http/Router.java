package io.remora.proxy.http;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.remora.config.Defaults;
import io.remora.proxy.ProxyContext;
import io.remora.proxy.cluster.Cluster;
import io.remora.proxy.inbound.InboundTarget;
import io.remora.proxy.listener.Destinations;
import io.remora.proxy.listener.ListenerSpec;
import io.remora.proxy.route.Destination;
import io.remora.proxy.route.RouteDecision;
import io.remora.proxy.route.RouteMatch;
import io.remora.proxy.route.RoutePolicy;
import io.remora.proxy.route.ServiceRoutes;

import java.net.InetSocketAddress;
import java.net.SocketAddress;

/**
 * Decides where one HTTP request goes: the request's {@link Destination} (by listener, Host/:authority or original
 * destination, {@link Destinations}, shared with the TCP path), then for a service its rule and backend cluster (the
 * endpoint is picked per try, once the request's policies let it through). Returns the decision as a value,
 * {@link RouteDecision.Upstream} or {@link RouteDecision.LocalAnswer} (404 NR, 503 UH/LOOP, 403 RBAC); it writes
 * nothing into the exchange.
 */
final class Router {
    private Router() {
    }

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
        Destination destination = Destinations.resolve(pc, r.listener(), r.originalDst(), r.downstreamRemote(),
                req.headers().get(HttpHeaderNames.HOST));
        if (destination instanceof ServiceRoutes service) {
            return toService(service, req);
        }
        if (destination instanceof Destination.LocalApp local) {
            return toLocalApp(pc, r, req, local);
        }
        if (destination instanceof Destination.Passthrough passthrough) {
            return new RouteDecision.Upstream(Destination.Passthrough.CLUSTER, Destination.Passthrough.CLUSTER,
                    "passthrough", null, RoutePolicy.NONE, passthrough.address(), null, false,
                    Defaults.CONNECT_TIMEOUT, Defaults.UPSTREAM_IDLE_TIMEOUT);
        }
        Destination.Refused refused = (Destination.Refused) destination;
        Destinations.reportLoop(refused, r.originalDst(), r.downstreamRemote());
        return refused.answer();
    }

    /** Inbound: the app, once the authorization policies let the caller through (403 RBAC when they do not). */
    private static RouteDecision toLocalApp(ProxyContext pc, Request r, HttpRequest req, Destination.LocalApp local) {
        // The service the source sidecar routed to (over mTLS); else this workload's own name.
        String service = r.calledService() != null ? r.calledService() : local.service();
        InboundTarget app = local.app();
        String uri = req.uri();
        int q = uri.indexOf('?');
        Destination.Refused denied = Destinations.authorize(pc, local, service, r.peerPrincipal(),
                r.peerNamespace(), q < 0 ? uri : uri.substring(0, q), req.method().name());
        if (denied != null) {
            return denied.answer();
        }
        return new RouteDecision.Upstream(service, app.cluster(), "inbound", null, RoutePolicy.NONE, app.address(),
                app.source(), app.protocol() != null && app.protocol().isHttp2Upstream(), Defaults.CONNECT_TIMEOUT,
                Defaults.UPSTREAM_IDLE_TIMEOUT);
    }

    private static RouteDecision toService(ServiceRoutes service, HttpRequest req) {
        RouteMatch match = service.match(req.method().name(), req.uri(), req.headers());
        if (match == null) {
            return new RouteDecision.LocalAnswer(HttpResponseStatus.NOT_FOUND, ResponseFlags.NO_ROUTE,
                    "no route rule of " + service.serviceKey() + " matches " + req.method() + " " + req.uri(),
                    service.serviceKey(), null, null);
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
}
