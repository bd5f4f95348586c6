package io.remora.proxy.policy;

/** Why a try was retried: the {@code reason} label of {@code remora_retries_total}. */
public enum RetryReason {
    /** The connection to the endpoint could not be made. */
    CONNECT_FAILURE("connect-failure"),
    /** The HTTP/2 upstream refused the stream before processing it. */
    REFUSED_STREAM("refused-stream"),
    /** A reused connection closed before any response (most often the keep-alive race). */
    POOLED_CONNECTION_CLOSED("pooled-connection-closed"),
    /** The upstream closed or reset before any byte of a response. */
    RESET_BEFORE_RESPONSE("reset-before-response"),
    /** 502, 503, 504 or gRPC UNAVAILABLE. */
    GATEWAY_ERROR("gateway-error"),
    /** Another 5xx. */
    SERVER_ERROR("server-error"),
    /** A status listed in {@code statusCodes} or {@code grpcStatusCodes}. */
    RETRIABLE_STATUS_CODE("retriable-status-code"),
    /** The try took longer than the per-try timeout. */
    PER_TRY_TIMEOUT("per-try-timeout");

    private final String label;

    RetryReason(String label) {
        this.label = label;
    }

    public String label() {
        return label;
    }
}
