package io.remora.proxy.net;

/**
 * The name of every handler the proxy puts in a pipeline, in one place, and the order each pipeline has them in.
 * Code that finds, removes or replaces a handler by name uses these, so a rename cannot miss a place.
 *
 * <pre>
 * downstream, accepted:  detect                                         (listener.DownstreamInitializer)
 *   then HTTP/1.x:       [tls alpn | tls mtls] [idle] [head-timeout] codec http
 *   then HTTP/2:         [tls alpn | tls mtls] [idle] [head-timeout] h2   (streams: no pipeline of their own)
 *   a WebSocket or CONNECT once upgraded: tunnel                         (http.Splice)
 * upstream HTTP/1.1:     [tls] [idle] codec upstream                      (http.H1Pool)
 * upstream h2 stream:    codec upstream                                   (http.H2Pool)
 * </pre>
 */
public final class Handlers {
    private Handlers() {
    }

    /** Connection idle timer. */
    public static final String IDLE = "idle";
    /** Protocol sniffing of a new downstream connection; removes itself. */
    public static final String DETECT = "detect";
    /** TLS (downstream termination, upstream origination). */
    public static final String TLS = "tls";
    /** ALPN choice of HTTP/1.1 or HTTP/2 after a terminated TLS handshake. */
    public static final String ALPN = "alpn";
    /** Inbound mutual TLS: the peer's SVID checked and recorded. */
    public static final String MTLS = "mtls";
    /** Relays a TLS connection opaquely once the handshake is over (inbound TCP over mTLS). */
    public static final String RELAY_AFTER_HANDSHAKE = "relay-after-handshake";
    /** The request-head time limit (slowloris). */
    public static final String HEAD_TIMEOUT = "head-timeout";
    /** HTTP/1.x codec; on an upstream HTTP/2 stream, the frame to HTTP object translation. */
    public static final String CODEC = "codec";
    /** The downstream HTTP/1.x request handler. */
    public static final String HTTP = "http";
    /** The HTTP/2 frame codec (upstream), or the downstream HTTP/2 connection handler. */
    public static final String H2 = "h2";
    /** The HTTP/2 stream multiplexer (upstream). */
    public static final String MUX = "mux";
    /** Connection-level HTTP/2 handling of a pooled upstream connection (idle, errors). */
    public static final String H2_CONNECTION = "h2conn";
    /** The upstream response handler. */
    public static final String UPSTREAM = "upstream";
    /** A byte tunnel between two channels. */
    public static final String TUNNEL = "tunnel";
}
