package io.remora.proxy.route;

import java.util.Map;
import java.util.List;
import java.util.LinkedHashMap;
import java.util.ArrayList;
import io.netty.handler.codec.http.HttpHeaders;
import io.remora.config.Protocol;
import io.remora.config.Service;
import io.remora.proxy.cluster.Cluster;

/**
 * Everything needed to route requests addressed to one service: its default cluster and the compiled rules of the
 * Route that names it. Immutable; {@link #match} is safe to call from any thread. It is also the {@link Destination}
 * of a connection or request to the service, so resolving one allocates nothing.
 */
public final class ServiceRoutes implements Destination {
    static final String DEFAULT_NAME = "default";

    private final String serviceKey;
    private final String serviceName;
    private final String namespace;
    private final Protocol protocol;
    private final Cluster defaultCluster;
    private final RouteMatch defaultMatch;
    /** Rules in order; null when no Route names the service. */
    private final CompiledRule[] rules;

    ServiceRoutes(Service service, Cluster defaultCluster, CompiledRule[] rules, RoutePolicy defaultPolicy) {
        this.serviceKey = service.key();
        this.serviceName = service.metadata().name();
        this.namespace = service.metadata().namespace();
        this.protocol = service.spec().protocol();
        this.defaultCluster = defaultCluster;
        this.defaultMatch = new RouteMatch(service.key(), DEFAULT_NAME, DEFAULT_NAME, defaultCluster,
                defaultPolicy);
        this.rules = rules;
    }

    /** {@code name.namespace}. */
    public String serviceKey() {
        return serviceKey;
    }

    public String serviceName() {
        return serviceName;
    }

    public String namespace() {
        return namespace;
    }

    public Protocol protocol() {
        return protocol;
    }

    /** All endpoints of the service: used for TCP and when no Route names the service. */
    public Cluster defaultCluster() {
        return defaultCluster;
    }

    /**
     * Routes one request: the first rule (in order) that matches selects a backend, weight-proportionally when it has
     * several.
     *
     * @param method  request method, compared case-sensitively
     * @param target  the raw request-target; any query string is ignored
     * @param headers request headers (names compared case-insensitively)
     * @return the route, rule and cluster; the default match (route {@code "default"}) when no Route names this
     *         service; null when a Route names it but none of its rules matches
     */
    public RouteMatch match(CharSequence method, CharSequence target, HttpHeaders headers) {
        if (rules == null) {
            return defaultMatch;
        }
        CharSequence path = target == null ? "" : target;
        int pathEnd = pathEnd(path);
        for (CompiledRule rule : rules) {
            if (rule.matches(method, path, pathEnd, headers)) {
                return rule.pickTarget();
            }
        }
        return null;
    }

    /**
     * Every rule in order against one request, for {@code /debug/explain}: which matched first and why each before it
     * did not; rules after the first match are not reached. Empty when no Route names the service (the default
     * route takes everything).
     */
    public List<Map<String, Object>> explain(CharSequence method, CharSequence target, HttpHeaders headers) {
        List<Map<String, Object>> out = new ArrayList<>();
        if (rules == null) {
            return out;
        }
        CharSequence path = target == null ? "" : target;
        int pathEnd = pathEnd(path);
        boolean reached = true;
        for (CompiledRule rule : rules) {
            Map<String, Object> r = rule.explain(method, path, pathEnd, headers);
            if (!reached) {
                r = new LinkedHashMap<>(Map.of("rule", r.get("rule")));
                r.put("reached", false);
            }
            out.add(r);
            reached &= !Boolean.TRUE.equals(r.get("matched"));
        }
        return out;
    }

    private static int pathEnd(CharSequence target) {
        int length = target.length();
        for (int i = 0; i < length; i++) {
            if (target.charAt(i) == '?') {
                return i;
            }
        }
        return length;
    }

    @Override
    public String toString() {
        return serviceKey;
    }
}
