package io.remora.proxy.http;

/**
 * Envoy/Istio response flags as the codes the routing and policy steps answer with; a request's flags are collected
 * in its {@link io.remora.proxy.log.StreamInfo} as {@link io.remora.proxy.log.ResponseFlag}s, which give them their
 * order when several apply. Names and meanings match Envoy's so existing dashboards and runbooks apply.
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
    /** No response head within the route's deadline or the per-try timeout. */
    public static final String UPSTREAM_REQUEST_TIMEOUT = "UT";
    /** A circuit-breaker limit of the service was reached. */
    public static final String UPSTREAM_OVERFLOW = "UO";
    /** The last try failed in a way that is retried, and no retry was left. */
    public static final String RETRY_LIMIT_EXCEEDED = "URX";
    /** Refused by the local rate limit. */
    public static final String RATE_LIMITED = "RL";
    /** Answered by an injected abort fault. */
    public static final String FAULT_INJECTED = "FI";
    /** Held by an injected delay fault. */
    public static final String DELAY_INJECTED = "DI";
    /** Refused by an authorization policy. */
    public static final String RBAC = "RBAC";
}
