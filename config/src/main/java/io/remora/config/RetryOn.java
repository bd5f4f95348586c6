package io.remora.config;

/** Conditions under which a failed try is retried (config spelling: {@code connect-failure}...). */
public enum RetryOn {
    /** The connection to the endpoint could not be made (refused, unreachable, connect timeout). Any method. */
    CONNECT_FAILURE,
    /** The HTTP/2 upstream refused the stream (REFUSED_STREAM, or GOAWAY before it was processed). Any method. */
    REFUSED_STREAM,
    /** The upstream closed or reset before any byte of a response; the request may have been processed. */
    RESET_BEFORE_RESPONSE,
    /** 502, 503 or 504 from the upstream, a per-try timeout, or gRPC UNAVAILABLE. */
    GATEWAY_ERROR,
    /** Any 5xx from the upstream, a per-try timeout. */
    SERVER_ERROR,
    /** The statuses listed in {@code statusCodes} and {@code grpcStatusCodes}; implied when either list is given. */
    RETRIABLE_STATUS_CODES
}
