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

    private static final String UF_URX = UPSTREAM_CONNECT_FAILURE + "," + RETRY_LIMIT_EXCEEDED;
    private static final String UC_URX = UPSTREAM_CONNECTION_TERMINATION + "," + RETRY_LIMIT_EXCEEDED;
    private static final String UT_URX = UPSTREAM_REQUEST_TIMEOUT + "," + RETRY_LIMIT_EXCEEDED;
    private static final String AND_DI = "," + DELAY_INJECTED;
    private static final String URX_DI = RETRY_LIMIT_EXCEEDED + AND_DI;

    /** {@code flag} with {@code URX} added, as Envoy writes it ({@code UF,URX}); constants, so nothing is built. */
    static String withRetryLimit(String flag) {
        return switch (flag) {
            case UPSTREAM_CONNECT_FAILURE -> UF_URX;
            case UPSTREAM_CONNECTION_TERMINATION -> UC_URX;
            case UPSTREAM_REQUEST_TIMEOUT -> UT_URX;
            default -> flag;
        };
    }

    /**
     * {@code flags} of a request that an injected delay held: {@code DI} after the others, in Envoy's order
     * ({@code UF,URX,DI}). Built only for a delayed request that then failed, which is rare.
     */
    static String withDelay(String flags) {
        if (NONE.equals(flags)) {
            return DELAY_INJECTED;
        }
        if (DELAY_INJECTED.equals(flags) || flags.endsWith(AND_DI)) {
            return flags;
        }
        return URX_DI.equals(flags + AND_DI) ? URX_DI : flags + AND_DI;
    }

    /** Whether an exchange that ended with {@code flags} left its upstream connection in a reusable state. */
    static boolean upstreamReusable(String flags) {
        return NONE.equals(flags) || DELAY_INJECTED.equals(flags) || RETRY_LIMIT_EXCEEDED.equals(flags)
                || URX_DI.equals(flags);
    }
}
