package io.remora.proxy.policy;

/** How one try ended without a usable response, as far as the retry rules care. */
public enum TryFailure {
    /** No connection could be made; the request never left the proxy. */
    CONNECT_FAILURE,
    /** The HTTP/2 upstream refused the stream (REFUSED_STREAM, or GOAWAY before it); the request was not processed. */
    REFUSED_STREAM,
    /**
     * A reused HTTP/1.1 connection closed without a byte of response: most often the server closed it while idle
     * as the request went out (the keep-alive race), but the request may have been processed.
     */
    POOLED_CONNECTION_CLOSED,
    /** The connection or stream closed or was reset before a response; the request may have been processed. */
    RESET_BEFORE_RESPONSE,
    /** No response head within the per-try timeout. */
    PER_TRY_TIMEOUT,
    /** A response head arrived: the status decides. */
    RESPONSE
}
