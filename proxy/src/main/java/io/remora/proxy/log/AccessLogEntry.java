package io.remora.proxy.log;

/**
 * What the access log records about one finished request or TCP connection. Null strings are left out of the line.
 *
 * @param startEpochMillis when the request started (wall clock)
 * @param direction        {@code inbound} or {@code outbound}
 * @param protocol         {@code HTTP/1.1}, {@code HTTP/2} or {@code TCP}
 * @param status           HTTP status sent downstream; 0 when none was
 * @param grpcStatus       gRPC status code, null when not gRPC
 * @param flags            response flags ({@code -}, {@code NR}, {@code UF}, {@code UH}, {@code UO}, {@code DC},
 *                         {@code UC}, comma-separated when several)
 * @param durationMicros   from the first request byte to the last response byte
 * @param upstreamCluster  cluster name, e.g. {@code payments.shop/v2}
 * @param upstreamHost     endpoint {@code host:port}
 * @param bytesReceived    body bytes received from downstream
 * @param bytesSent        body bytes sent to downstream
 * @param downstreamRemote the downstream peer {@code host:port}
 * @param route            name of the matching route
 * @param peerPrincipal    the other side's verified SPIFFE ID (the caller inbound, the upstream outbound); null
 *                         when the connection was not mutual TLS
 * @param details          why the proxy answered itself or cut the exchange, with what the caller is not told (the
 *                         endpoint, the socket error); null when the upstream answered
 */
public record AccessLogEntry(long startEpochMillis, String direction, String protocol, String method,
                             String authority, String path, int status, String grpcStatus, String flags,
                             long durationMicros, String upstreamCluster, String upstreamHost, long bytesReceived,
                             long bytesSent, String requestId, String downstreamRemote, String route,
                             String userAgent, String peerPrincipal, String details) {
    /** An entry without details. */
    public AccessLogEntry(long startEpochMillis, String direction, String protocol, String method, String authority,
                          String path, int status, String grpcStatus, String flags, long durationMicros,
                          String upstreamCluster, String upstreamHost, long bytesReceived, long bytesSent,
                          String requestId, String downstreamRemote, String route, String userAgent,
                          String peerPrincipal) {
        this(startEpochMillis, direction, protocol, method, authority, path, status, grpcStatus, flags,
                durationMicros, upstreamCluster, upstreamHost, bytesReceived, bytesSent, requestId, downstreamRemote,
                route, userAgent, peerPrincipal, null);
    }

    /** An entry without a verified peer (no mutual TLS). */
    public AccessLogEntry(long startEpochMillis, String direction, String protocol, String method, String authority,
                          String path, int status, String grpcStatus, String flags, long durationMicros,
                          String upstreamCluster, String upstreamHost, long bytesReceived, long bytesSent,
                          String requestId, String downstreamRemote, String route, String userAgent) {
        this(startEpochMillis, direction, protocol, method, authority, path, status, grpcStatus, flags,
                durationMicros, upstreamCluster, upstreamHost, bytesReceived, bytesSent, requestId, downstreamRemote,
                route, userAgent, null);
    }
}
