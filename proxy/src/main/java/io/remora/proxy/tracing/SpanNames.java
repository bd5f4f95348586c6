package io.remora.proxy.tracing;

import io.remora.config.Route;

/**
 * Span names, bounded as a tracing backend needs them (it groups and indexes by name): a route's name, or Envoy's
 * default {@code host:port/path-template} ({@code reviews.default.svc.cluster.local:9080/*}). Never the raw path,
 * whose ids and query strings would make every span name new. Built once per route, not per request.
 */
public final class SpanNames {
    private SpanNames() {
    }

    /** {@code host:port/path-template}, e.g. {@code payments.shop.svc.cluster.local:8080/api/*}. */
    public static String of(String host, int port, String pathTemplate) {
        return host + ':' + port + pathTemplate;
    }

    /**
     * The template of a route's path match: an exact path as it is, a prefix followed by {@code *}, and {@code /*}
     * for a regular expression or no path match (a regex's text is no name).
     */
    public static String pathTemplate(Route.StringMatch path) {
        if (path == null || path.regex() != null) {
            return "/*";
        }
        if (path.exact() != null) {
            return path.exact();
        }
        return path.prefix().endsWith("*") ? path.prefix() : path.prefix() + "*";
    }
}
