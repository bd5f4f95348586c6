package io.remora.config;

/** Application protocol a service port speaks; decides how the proxy talks to its endpoints. */
public enum Protocol {
    /** HTTP/1.1 to the endpoints (downstream may be HTTP/1.1 or HTTP/2; the proxy translates). */
    HTTP,
    /** HTTP/2 cleartext (prior knowledge) to the endpoints. */
    HTTP2,
    /** gRPC: HTTP/2 to the endpoints, gRPC status used in metrics. */
    GRPC,
    /** Opaque TCP: bytes are relayed, no HTTP parsing. */
    TCP;

    public boolean isHttp2Upstream() {
        return this == HTTP2 || this == GRPC;
    }
}
