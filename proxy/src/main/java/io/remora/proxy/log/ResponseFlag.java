package io.remora.proxy.log;

import java.util.EnumSet;

/**
 * Why a response is what it is, with Envoy's short codes so existing dashboards and runbooks apply. A request can
 * collect several ({@code UF,URX,DI}); they are written in this enum's order, which is Envoy's: the failure first,
 * then that retries ran out, then that a fault delayed it.
 */
public enum ResponseFlag {
    /** Request rejected as malformed before routing. */
    DOWNSTREAM_PROTOCOL_ERROR("DPE", "downstream_protocol_error"),
    /** No route configured for the request. */
    NO_ROUTE("NR", "route_not_found"),
    /** No healthy upstream endpoint. */
    NO_HEALTHY_UPSTREAM("UH", "no_healthy_upstream"),
    /** Upstream connection failure (refused, unreachable, connect timeout). */
    UPSTREAM_CONNECT_FAILURE("UF", "upstream_reset_before_response_started{connection_failure}"),
    /** Upstream connection terminated before the response completed. */
    UPSTREAM_CONNECTION_TERMINATION("UC", "upstream_reset{connection_termination}"),
    /** Upstream reset the stream. */
    UPSTREAM_REMOTE_RESET("UR", "upstream_reset{remote_reset}"),
    /** No response head within the route's deadline or the per-try timeout. */
    UPSTREAM_REQUEST_TIMEOUT("UT", "upstream_response_timeout"),
    /** A circuit-breaker limit of the service was reached. */
    UPSTREAM_OVERFLOW("UO", "upstream_overflow"),
    /** Downstream connection terminated before the response completed. */
    DOWNSTREAM_CONNECTION_TERMINATION("DC", "downstream_remote_disconnect"),
    /** The proxy refused to forward to itself (capture loop). */
    LOOP("LOOP", "loop_detected"),
    /** Refused by the local rate limit. */
    RATE_LIMITED("RL", "local_rate_limited"),
    /** Answered by an injected abort fault. */
    FAULT_INJECTED("FI", "fault_filter_abort"),
    /** Refused by an authorization policy. */
    RBAC("RBAC", "rbac_access_denied"),
    /** The last try failed in a way that is retried, and no retry was left. */
    RETRY_LIMIT_EXCEEDED("URX", null),
    /** Held by an injected delay fault. */
    DELAY_INJECTED("DI", null);

    /** What an empty set is written as. */
    public static final String NONE = "-";
    private static final ResponseFlag[] ALL = values();

    private final String code;
    /** Envoy's response code details for a response this flag explains; null for a flag beside another. */
    private final String details;
    private final int bit;

    ResponseFlag(String code, String details) {
        this.code = code;
        this.details = details;
        this.bit = 1 << ordinal();
    }

    /**
     * Why the response is what it is, as Envoy's {@code %RESPONSE_CODE_DETAILS%} says it: the details of the first
     * flag that explains a response ({@code URX} and {@code DI} only qualify another); null when none does.
     */
    public static String details(int bits) {
        for (ResponseFlag f : ALL) {
            if ((bits & f.bit) != 0 && f.details != null) {
                return f.details;
            }
        }
        return null;
    }

    /** Envoy's code: {@code UF}, {@code URX}... */
    public String code() {
        return code;
    }

    /** This flag in a bit set of flags ({@link StreamInfo} keeps them as one int: no set object per request). */
    public int bit() {
        return bit;
    }

    /** The flag with Envoy's code {@code code}; null when there is none ({@code -} or unknown). */
    public static ResponseFlag ofCode(String code) {
        for (ResponseFlag f : ALL) {
            if (f.code.equals(code)) {
                return f;
            }
        }
        return null;
    }

    /** The bits of a comma-separated list of codes ({@code UF,URX}); unknown codes are left out. */
    public static int bitsOf(String codes) {
        int bits = 0;
        if (codes == null || codes.isEmpty() || NONE.equals(codes)) {
            return 0;
        }
        for (String c : codes.split(",")) {
            ResponseFlag f = ofCode(c.trim());
            if (f != null) {
                bits |= f.bit;
            }
        }
        return bits;
    }

    /** The flags of a bit set. */
    public static EnumSet<ResponseFlag> setOf(int bits) {
        EnumSet<ResponseFlag> set = EnumSet.noneOf(ResponseFlag.class);
        for (ResponseFlag f : ALL) {
            if ((bits & f.bit) != 0) {
                set.add(f);
            }
        }
        return set;
    }

    /**
     * A bit set as Envoy writes it: {@code -} when empty, else the codes in order, comma-separated. An empty set or
     * a single flag, which is nearly every request, builds nothing.
     */
    public static String text(int bits) {
        if (bits == 0) {
            return NONE;
        }
        if (Integer.bitCount(bits) == 1) {
            return ALL[Integer.numberOfTrailingZeros(bits)].code;
        }
        StringBuilder sb = new StringBuilder(16);
        for (ResponseFlag f : ALL) {
            if ((bits & f.bit) != 0) {
                if (sb.length() > 0) {
                    sb.append(',');
                }
                sb.append(f.code);
            }
        }
        return sb.toString();
    }
}
