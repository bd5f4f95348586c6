package io.remora.proxy.listener;

import io.netty.handler.codec.http.HttpResponseStatus;
import io.remora.config.Protocol;
import io.remora.proxy.ProxyContext;
import io.remora.proxy.authz.Authorizer;
import io.remora.proxy.http.ResponseFlags;
import io.remora.proxy.net.OwnConnections;
import io.remora.proxy.route.Destination;
import io.remora.proxy.route.RouteDecision;
import io.remora.proxy.route.RouteTable;
import io.remora.proxy.route.ServiceRoutes;

import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.List;

/**
 * Where a connection goes, worked out once for the HTTP path and the TCP path: the listener and the connection
 * ({@link ConnectionInfo}) give a {@link Destination}; inbound, the authorization policies may refuse it; and the
 * destination says whether the bytes are HTTP or TCP ({@link Framing}). The TCP path resolves once per connection;
 * the HTTP path once per request, with its {@code Host}, against the current route table. Resolving changes
 * nothing and logs nothing: whoever acts on a refusal reports it.
 */
public final class Destinations {
    private Destinations() {
    }

    /**
     * Where a connection on {@code listener} goes, or one HTTP request on it when {@code authority} (its
     * {@code Host}) is given: for a captured connection a service the {@code Host} names comes first, then the
     * service whose address is the original destination; an unknown destination passes through to where the app
     * meant to go, unless the connection is one of the proxy's own, captured back (a loop).
     */
    public static Destination resolve(ProxyContext pc, ListenerSpec listener, InetSocketAddress originalDst,
                                      SocketAddress peer, String authority) {
        if (listener instanceof ListenerSpec.Inbound) {
            return new Destination.LocalApp(pc.inboundApps().target(originalDst), pc.inboundService());
        }
        if (listener instanceof ListenerSpec.ExplicitUpstream explicit) {
            ServiceRoutes service = pc.routes().byKey(explicit.serviceKey());
            return service != null ? service : noRoute("no service " + explicit.serviceKey()
                    + " in the current config");
        }
        if (listener instanceof ListenerSpec.Capture) {
            return captured(pc, originalDst, peer, authority);
        }
        throw new IllegalStateException("unknown listener " + listener);
    }

    /** {@link #resolve(ProxyContext, ListenerSpec, InetSocketAddress, SocketAddress, String)} for a connection. */
    public static Destination resolve(ProxyContext pc, ListenerSpec listener, ConnectionInfo conn) {
        return resolve(pc, listener, conn.originalDst(), conn.peer(), null);
    }

    private static Destination captured(ProxyContext pc, InetSocketAddress originalDst, SocketAddress peer,
                                        String authority) {
        RouteTable routes = pc.routes();
        ServiceRoutes service = authority == null ? null : routes.byAuthority(authority);
        if (service == null && originalDst != null) {
            service = routes.byAddress(originalDst);
        }
        if (service != null) {
            return service;
        }
        if (originalDst == null) {
            return noRoute("no service for host '" + authority + "' and no original destination");
        }
        if (pc.ownConnections().isOwn(peer)) {
            // Our own passthrough connection, captured again: relaying it would loop forever.
            return new Destination.Refused(new RouteDecision.LocalAnswer(HttpResponseStatus.SERVICE_UNAVAILABLE,
                    ResponseFlags.LOOP, "passthrough to " + originalDst + " was captured back into the proxy",
                    "unknown", Destination.Passthrough.CLUSTER, null));
        }
        return new Destination.Passthrough(originalDst);
    }

    private static Destination.Refused noRoute(String message) {
        return new Destination.Refused(new RouteDecision.LocalAnswer(HttpResponseStatus.NOT_FOUND,
                ResponseFlags.NO_ROUTE, message, "unknown", null, null));
    }

    /**
     * Inbound: the workload's authorization policies, by the caller's verified identity; a TCP connection has no
     * path or method (a DENY rule that names some refuses it too).
     *
     * @param service the {@code destination_service} the refusal is counted under
     * @return the refusal (403 {@code RBAC}), or null when the caller may go on
     */
    public static Destination.Refused authorize(ProxyContext pc, Destination.LocalApp app, String service,
                                                String principal, String namespace, String path, String method) {
        Authorizer authz = pc.routes().authorizer();
        if (authz.allowsAll()) {
            return null;
        }
        Authorizer.Denial denial = authz.check(principal, namespace, path, method);
        return denial == null ? null : new Destination.Refused(new RouteDecision.LocalAnswer(
                HttpResponseStatus.FORBIDDEN, ResponseFlags.RBAC, "RBAC: access denied (" + denial.reason() + ")",
                service, app.app().cluster(), "inbound"));
    }

    /** The refused self-capture's one log event, by whichever path refuses it. */
    public static void reportLoop(Destination.Refused refused, InetSocketAddress originalDst, SocketAddress peer) {
        if (ResponseFlags.LOOP.equals(refused.answer().flags())) {
            OwnConnections.logRefused(originalDst, peer);
        }
    }

    /**
     * Whether the bytes to {@code destination} are taken as TCP, HTTP, or sniffed. Declared TCP is relayed at once,
     * and so is a server-first port (the original destination's; inbound the app's, unless that port's protocol is
     * declared), since waiting for the client would hang it. A declared protocol wins over sniffing, as Istio's
     * explicit protocol selection does: the inbound app's declared protocol, a known service.
     */
    public static Framing framing(ProxyContext pc, Destination destination, InetSocketAddress originalDst) {
        List<Integer> serverFirst = pc.spec().serverFirstPorts();
        if (destination instanceof Destination.LocalApp local) {
            Protocol declared = local.app().protocol();
            boolean serverFirstPort = serverFirst.contains(local.app().address().getPort());
            if (declared == Protocol.TCP
                    || (serverFirstPort && (declared == null || !pc.inboundApps().byOriginalPort()))) {
                return Framing.TCP;
            }
            return declared == null ? Framing.SNIFFED : Framing.HTTP;
        }
        boolean serverFirstPort = originalDst != null && serverFirst.contains(originalDst.getPort());
        if (destination instanceof ServiceRoutes service) {
            return service.protocol() == Protocol.TCP || serverFirstPort ? Framing.TCP : Framing.HTTP;
        }
        // Passthrough, or refused: the connection is whatever it is, until its first bytes show it.
        return serverFirstPort ? Framing.TCP : Framing.SNIFFED;
    }
}
