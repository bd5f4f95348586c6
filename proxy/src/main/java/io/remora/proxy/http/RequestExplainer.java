package io.remora.proxy.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import io.remora.certs.SpiffeId;
import io.remora.config.HostPort;
import io.remora.proxy.ProxyContext;
import io.remora.proxy.cluster.Cluster;
import io.remora.proxy.cluster.Endpoint;
import io.remora.proxy.cluster.ServiceGuard;
import io.remora.proxy.listener.Destinations;
import io.remora.proxy.listener.ListenerSpec;
import io.remora.proxy.policy.ConcurrencyLimits;
import io.remora.proxy.route.Destination;
import io.remora.proxy.route.RouteDecision;
import io.remora.proxy.route.RoutePolicy;
import io.remora.proxy.route.ServiceRoutes;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code /debug/explain}: what this sidecar would do with a request it is not sent, and why — the listener and
 * direction, the destination, each rule in order (which matched, why the ones before it did not), the backend split,
 * the policies in force with the shared state they read now (circuit-breaker occupancy, retry budget, rate-limit
 * tokens), the endpoints with their health, the identity mTLS would require, and the answer the router gives
 * (including an authorization refusal inbound). It goes through the same {@link Router} and
 * {@link Destinations} as a real request, so it cannot tell a different story; it sends nothing and changes no
 * state.
 */
public final class RequestExplainer {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private RequestExplainer() {
    }

    /** A parameter is missing or malformed: the message says which and what is expected. */
    public static final class BadQuery extends Exception {
        public BadQuery(String message) {
            super(message);
        }
    }

    /**
     * @param query     the query's parameters: {@code path} (required), {@code method}, {@code authority},
     *                  {@code header} ({@code name: value}, repeatable), {@code listener}, {@code peer} (the caller's
     *                  SPIFFE ID, inbound), {@code dst} (the original destination {@code ip:port})
     * @param listeners the listeners this sidecar runs
     */
    public static String explain(ProxyContext pc, Collection<ListenerSpec> listeners,
                                 Map<String, List<String>> query) throws BadQuery {
        String path = one(query, "path");
        if (path == null || path.isEmpty() || path.charAt(0) != '/') {
            throw new BadQuery("path is required and must start with '/' (e.g. path=/api/items)");
        }
        String method = one(query, "method");
        method = method == null ? "GET" : method;
        if (!method.matches("[A-Z]{1,20}")) {
            throw new BadQuery("method must be an upper-case HTTP method (e.g. method=POST), not \"" + method + "\"");
        }
        ListenerSpec listener = listener(listeners, one(query, "listener"));
        InetSocketAddress dst = address(one(query, "dst"), "dst");
        String peer = one(query, "peer");
        SpiffeId peerId = null;
        if (peer != null) {
            try {
                peerId = SpiffeId.parse(peer);
            } catch (IllegalArgumentException e) {
                throw new BadQuery("peer must be a SPIFFE ID (spiffe://trust-domain/ns/N/sa/S): " + e.getMessage());
            }
        }
        DefaultHttpHeaders headers = new DefaultHttpHeaders();
        String authority = one(query, "authority");
        if (authority != null) {
            headers.set(HttpHeaderNames.HOST, authority);
        }
        for (String h : query.getOrDefault("header", List.of())) {
            int colon = h.indexOf(':');
            if (colon <= 0) {
                throw new BadQuery("header must be \"name: value\", not \"" + h + "\"");
            }
            headers.add(h.substring(0, colon).trim(), h.substring(colon + 1).trim());
        }
        HttpRequest req = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.valueOf(method), path, headers);

        Map<String, Object> out = new LinkedHashMap<>();
        out.put("request", Map.of("method", method, "path", path, "authority", authority == null ? "" : authority));
        out.put("listener", Map.of("name", listener.name(), "direction", listener.outbound() ? "outbound" : "inbound"));
        Destination destination = Destinations.resolve(pc, listener, dst, null, authority);
        out.put("destination", describe(destination));
        if (destination instanceof ServiceRoutes service) {
            out.put("rules", service.explain(method, path, headers));
        }
        Router.Values connection = new Router.Values(listener, dst, null, peerId == null ? null : peerId.toString(),
                peerId == null ? null : peerId.namespace(), null);
        RouteDecision decision = Router.route(pc, connection, req);
        out.put("decision", decision(decision));
        if (decision instanceof RouteDecision.Upstream up) {
            out.put("policy", policy(up.policy(), up.cluster()));
            if (up.cluster() != null) {
                out.put("endpoints", endpoints(pc, up.cluster()));
            }
        }
        if (!listener.outbound()) {
            boolean denied = decision instanceof RouteDecision.LocalAnswer a && "RBAC".equals(a.flags());
            out.put("authorization", denied ? Map.of("allowed", false, "reason", ((RouteDecision.LocalAnswer) decision)
                    .message()) : Map.of("allowed", true, "caller", peer == null ? "(no verified identity)" : peer));
        }
        try {
            return JSON.writeValueAsString(out) + "\n";
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("explain could not be written", e);
        }
    }

    private static String one(Map<String, List<String>> query, String name) {
        List<String> values = query.get(name);
        return values == null || values.isEmpty() ? null : values.get(values.size() - 1);
    }

    private static ListenerSpec listener(Collection<ListenerSpec> listeners, String name) throws BadQuery {
        List<String> names = new ArrayList<>();
        for (ListenerSpec l : listeners) {
            if (name == null ? l.outbound() : l.name().equals(name)) {
                return l;
            }
            names.add(l.name());
        }
        throw new BadQuery(name == null ? "this sidecar has no outbound listener; name one with listener= (one of "
                + names + ")" : "no listener \"" + name + "\"; expected one of " + names);
    }

    private static InetSocketAddress address(String text, String name) throws BadQuery {
        if (text == null) {
            return null;
        }
        try {
            HostPort hp = HostPort.parse(text);
            return new InetSocketAddress(hp.host(), hp.port());
        } catch (RuntimeException e) {
            throw new BadQuery(name + " must be ip:port, not \"" + text + "\"");
        }
    }

    private static Map<String, Object> describe(Destination d) {
        Map<String, Object> m = new LinkedHashMap<>();
        if (d instanceof ServiceRoutes s) {
            m.put("kind", "service");
            m.put("service", s.serviceKey());
            m.put("protocol", s.protocol().name().toLowerCase());
        } else if (d instanceof Destination.Passthrough p) {
            m.put("kind", "passthrough");
            m.put("address", String.valueOf(p.address()));
        } else if (d instanceof Destination.LocalApp app) {
            m.put("kind", "local app");
            m.put("service", app.service());
            m.put("app", String.valueOf(app.app().address()));
        } else if (d instanceof Destination.Refused r) {
            m.put("kind", "refused");
            m.put("flags", r.answer().flags());
            m.put("reason", r.answer().message());
        }
        return m;
    }

    private static Map<String, Object> decision(RouteDecision d) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("destination_service", d.destinationService());
        m.put("cluster", d.clusterName());
        m.put("route", d.routeName());
        if (d instanceof RouteDecision.LocalAnswer a) {
            m.put("answer", "local");
            m.put("status", a.status().code());
            m.put("flags", a.flags());
            m.put("reason", a.message());
        } else if (d instanceof RouteDecision.Upstream u) {
            m.put("answer", "upstream");
            m.put("upstream_protocol", u.h2() ? "HTTP/2" : "HTTP/1.1");
            if (u.address() != null) {
                m.put("address", String.valueOf(u.address()));
            }
            m.put("connect_timeout_ms", u.connectTimeout().toMillis());
        }
        return m;
    }

    private static Map<String, Object> policy(RoutePolicy p, Cluster cluster) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("timeout_ms", p.timeoutNanos() / 1_000_000);
        Map<String, Object> retries = new LinkedHashMap<>();
        retries.put("attempts", p.retries().attempts());
        retries.put("per_try_timeout_ms", p.retries().perTryTimeoutNanos() / 1_000_000);
        m.put("retries", retries);
        if (p.rateLimit() != null) {
            m.put("rate_limit_tokens_now", p.rateLimit().tokens());
        }
        if (p.fault() != null) {
            m.put("fault", Map.of("abort_status", p.fault().abortStatus(),
                    "delay_ms", p.fault().delayNanos() / 1_000_000));
        }
        if (cluster != null) {
            ServiceGuard g = cluster.guard();
            retries.put("budget_retries_allowed_now", g.budget().retriesAllowedNow());
            Map<String, Object> breaker = new LinkedHashMap<>();
            for (ConcurrencyLimits.Limit limit : ConcurrencyLimits.Limit.values()) {
                breaker.put(limit.label(), g.limits().inUse(limit) + "/" + g.limits().max(limit));
            }
            m.put("circuit_breaker", breaker);
        }
        return m;
    }

    private static List<Map<String, Object>> endpoints(ProxyContext pc, Cluster cluster) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (Endpoint e : cluster.endpoints()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("address", e.hostPort().toString());
            m.put("weight", e.weight());
            m.put("active_requests", e.activeRequests());
            m.put("health", cluster.guard().isEjected(e) ? "ejected (outlier detection)" : "healthy");
            // mTLS to an endpoint that declares an identity, when this sidecar has one of its own.
            m.put("mtls_identity", e.identity() != null && pc.upstreamTls() != null ? e.identity() : "none (plaintext)");
            out.add(m);
        }
        return out;
    }
}
