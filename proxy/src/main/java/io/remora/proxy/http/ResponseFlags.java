package io.remora.proxy.http;

/**
 * Envoy/Istio response flags: why a response is what it is, in access logs and in the
 * {@code response_flags} metric label. Names and meanings match Envoy's so existing dashboards and
 * runbooks apply.
 */
public final class ResponseFlags {
    private ResponseFlags() {
    }

    /** Nothing unusual. */
    public static final String NONE = "-";
    /** No route configured for the request. */
    public static final String NO_ROUTE = "NR";
    /** Upstream connection failure (refused, unreachable, connect timeout). */
    public static final String UPSTREAM_CONNECT_FAILURE = "UF";
    /** No healthy upstream endpoint. */
    public static final String NO_HEALTHY_UPSTREAM = "UH";
    /** Upstream connection terminated before the response completed. */
    public static final String UPSTREAM_CONNECTION_TERMINATION = "UC";
    /** Downstream connection terminated before the response completed. */
    public static final String DOWNSTREAM_CONNECTION_TERMINATION = "DC";
    /** Upstream reset the stream. */
    public static final String UPSTREAM_REMOTE_RESET = "UR";
    /** Request rejected as malformed before routing. */
    public static final String DOWNSTREAM_PROTOCOL_ERROR = "DPE";
    /** The proxy refused to forward to itself (capture loop). */
    public static final String LOOP = "LOOP";
}
