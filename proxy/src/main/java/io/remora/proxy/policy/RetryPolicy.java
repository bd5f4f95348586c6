package io.remora.proxy.policy;

import io.remora.config.GrpcStatus;
import io.remora.config.Route;
import io.remora.config.RetryOn;

import java.util.EnumSet;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * The retry rules of one route rule, compiled once per config: which failed tries may be tried again. Failures
 * before the request reached the upstream are retried whatever the method; the others only for idempotent methods
 * unless the rule opts in, because a POST that reached the upstream may have been processed (and paid for) already.
 */
public final class RetryPolicy {
    /** No retries at all (inbound and passthrough traffic). */
    public static final RetryPolicy NONE = new RetryPolicy(
            new Route.Retries(1, null, java.util.List.of(), null, null, false, null));

    private static final int GRPC_UNAVAILABLE = GrpcStatus.UNAVAILABLE.code();

    private final int attempts;
    private final long perTryTimeoutNanos;
    private final Backoff backoff;
    private final boolean nonIdempotent;
    private final boolean connectFailure;
    private final boolean refusedStream;
    private final boolean resetBeforeResponse;
    private final boolean gatewayError;
    private final boolean serverError;
    private final boolean[] statuses = new boolean[600];
    private final int grpcStatuses;

    public RetryPolicy(Route.Retries config) {
        this.attempts = config.attempts();
        this.perTryTimeoutNanos = config.perTryTimeout().toNanos();
        this.backoff = new Backoff(config.backoff().baseInterval(), config.backoff().maxInterval());
        this.nonIdempotent = config.nonIdempotent();
        Set<RetryOn> on = config.retryOn().isEmpty() ? EnumSet.noneOf(RetryOn.class) : EnumSet.copyOf(config.retryOn());
        this.connectFailure = on.contains(RetryOn.CONNECT_FAILURE);
        this.refusedStream = on.contains(RetryOn.REFUSED_STREAM);
        this.resetBeforeResponse = on.contains(RetryOn.RESET_BEFORE_RESPONSE);
        this.gatewayError = on.contains(RetryOn.GATEWAY_ERROR);
        this.serverError = on.contains(RetryOn.SERVER_ERROR);
        // Listing codes implies retriable-status-codes; listing the condition alone retries nothing extra.
        for (int code : config.statusCodes()) {
            if (code >= 0 && code < statuses.length) {
                statuses[code] = true;
            }
        }
        int mask = 0;
        for (GrpcStatus s : config.grpcStatusCodes()) {
            mask |= 1 << s.code();
        }
        this.grpcStatuses = mask;
    }

    /** Tries in total, the first one included; 1 means no retries. */
    public int attempts() {
        return attempts;
    }

    /** Limit of one try in nanoseconds; 0 means none (the deadline still applies). */
    public long perTryTimeoutNanos() {
        return perTryTimeoutNanos;
    }

    public Backoff backoff() {
        return backoff;
    }

    /**
     * Why the try that ended as described should be retried, or null when it should not. Attempts left, the budget,
     * the circuit breaker, the deadline and whether the request can be replayed are the caller's to check.
     *
     * @param failure    how the try ended
     * @param status     HTTP status of the response head ({@link TryFailure#RESPONSE} only)
     * @param grpcStatus gRPC status carried in the response head (a trailers-only response), -1 when none
     * @param idempotent whether the request method is idempotent (RFC 9110 §9.2.2)
     */
    public RetryReason reason(TryFailure failure, int status, int grpcStatus, boolean idempotent) {
        boolean mayRepeat = idempotent || nonIdempotent;
        return switch (failure) {
            // The upstream never saw the request: safe for every method.
            case CONNECT_FAILURE -> connectFailure ? RetryReason.CONNECT_FAILURE : null;
            case REFUSED_STREAM -> refusedStream ? RetryReason.REFUSED_STREAM : null;
            // The upstream may have acted on the request (a reused connection closing may be the keep-alive race,
            // or a server that crashed while processing it: only an idempotent request can tell no difference).
            case POOLED_CONNECTION_CLOSED -> resetBeforeResponse && mayRepeat ? RetryReason.POOLED_CONNECTION_CLOSED : null;
            case RESET_BEFORE_RESPONSE -> resetBeforeResponse && mayRepeat ? RetryReason.RESET_BEFORE_RESPONSE : null;
            case PER_TRY_TIMEOUT -> (gatewayError || serverError) && mayRepeat ? RetryReason.PER_TRY_TIMEOUT : null;
            case RESPONSE -> mayRepeat ? responseReason(status, grpcStatus) : null;
        };
    }

    private RetryReason responseReason(int status, int grpcStatus) {
        if (grpcStatus >= 0) {
            if (grpcStatus < 32 && (grpcStatuses & (1 << grpcStatus)) != 0) {
                return RetryReason.RETRIABLE_STATUS_CODE;
            }
            if (grpcStatus == GRPC_UNAVAILABLE && gatewayError) {
                return RetryReason.GATEWAY_ERROR;
            }
        }
        if (status >= 0 && status < statuses.length && statuses[status]) {
            return RetryReason.RETRIABLE_STATUS_CODE;
        }
        if (gatewayError && status >= 502 && status <= 504) {
            return RetryReason.GATEWAY_ERROR;
        }
        if (serverError && status >= 500 && status <= 599) {
            return RetryReason.SERVER_ERROR;
        }
        return null;
    }

    /** Idempotent methods of RFC 9110 §9.2.2; the method string is the request's, as Netty decoded it. */
    public static boolean idempotent(String method) {
        return switch (method) {
            case "GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE" -> true;
            default -> false;
        };
    }

    @Override
    public String toString() {
        return "RetryPolicy{attempts=" + attempts + ", perTryTimeout="
                + TimeUnit.NANOSECONDS.toMillis(perTryTimeoutNanos) + "ms}";
    }
}
