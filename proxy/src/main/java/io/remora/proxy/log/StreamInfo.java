package io.remora.proxy.log;

import io.remora.proxy.metrics.WorkloadLabels;
import io.remora.proxy.tracing.RequestSpan;

import java.net.InetSocketAddress;
import java.util.EnumSet;

/**
 * Everything known about one request (or one TCP relay, or one WebSocket tunnel) as it goes: what was asked, where
 * it went, how many tries it took, what came back, the flags saying why, and its bytes and time. Filled by the
 * request path as it learns each thing and read once at the end by the access log and the metrics (Envoy's
 * {@code StreamInfo}), so no figure is gathered twice and none is lost because an earlier write was overwritten.
 *
 * <p>One per request, on that request's event loop: not thread-safe, and not shared.
 */
public final class StreamInfo {
    private final long startEpochMillis;
    private final long startNanos;
    private final boolean outbound;
    private final String downstreamRemote;
    private String protocol;
    private String method;
    private String authority;
    private String path;
    private String userAgent;
    private String requestId;
    private boolean grpc;
    private int status;
    private String grpcStatus = "";
    private int flags;
    private long bytesReceived;
    private long bytesSent;
    private String destinationService = "unknown";
    private String upstreamCluster;
    private String route;
    private InetSocketAddress upstreamHost;
    private String downstreamPrincipal;
    private String upstreamPrincipal;
    private WorkloadLabels peerLabels;
    private String details;
    private int attempts;
    private long requestMessages = -1;
    private long responseMessages = -1;
    private long durationNanos;
    private RequestSpan span = RequestSpan.NONE;
    private int downstreamRemotePort = -1;
    private String forwardedFor;
    private String sni;
    private boolean viaUpstream;
    private long tryStartNanos;
    private long upstreamServiceNanos = -1;

    /**
     * @param startEpochMillis when it started (wall clock, for the log line)
     * @param startNanos       when it started (the proxy's ticker, for durations)
     * @param outbound         whether the app is calling out (else another sidecar is calling in)
     * @param downstreamRemote the caller's IP; null when unknown
     */
    public StreamInfo(long startEpochMillis, long startNanos, boolean outbound, String downstreamRemote) {
        this.startEpochMillis = startEpochMillis;
        this.startNanos = startNanos;
        this.outbound = outbound;
        this.downstreamRemote = downstreamRemote;
    }

    // ---- what was asked -----------------------------------------------------------------------------------

    /** The request line and the headers the log names. */
    public void request(String protocol, String method, String authority, String path, String userAgent,
                        boolean grpc) {
        this.protocol = protocol;
        this.method = method;
        this.authority = authority;
        this.path = path;
        this.userAgent = userAgent;
        this.grpc = grpc;
    }

    /** The request's target after normalization (absolute form, dot segments) rewrote it. */
    public void target(String authority, String path) {
        this.authority = authority;
        this.path = path;
    }

    public void requestId(String id) {
        this.requestId = id;
        span.requestId(id);
    }

    /** This hop's span (tracing); {@link RequestSpan#NONE} when the request is not traced. */
    public void span(RequestSpan span) {
        this.span = span;
    }

    public RequestSpan span() {
        return span;
    }

    /** The caller's port (its address's other half); -1 when unknown. */
    public void downstreamRemotePort(int port) {
        this.downstreamRemotePort = port;
    }

    /** The {@code x-forwarded-for} the request is forwarded with (this hop's caller appended). */
    public void forwardedFor(String value) {
        this.forwardedFor = value;
    }

    /** The server name the caller asked for in its TLS handshake; null when none (or no TLS). */
    public void sni(String serverName) {
        this.sni = serverName;
    }

    /** The caller's verified SPIFFE ID (mutual TLS); null when plaintext. */
    public void downstreamPrincipal(String principal) {
        this.downstreamPrincipal = principal;
        if (principal != null) {
            span.peer(principal);
        }
    }

    // ---- where it went ------------------------------------------------------------------------------------

    /** The router's decision: the service (as metrics name it), the cluster and the route; null when none. */
    public void routed(String destinationService, String upstreamCluster, String route) {
        this.destinationService = destinationService;
        this.upstreamCluster = upstreamCluster;
        this.route = route;
        // The span is named by what the config names (the route, else the service), never by the raw path.
        span.routed(route != null ? route : destinationService, route, upstreamCluster);
    }

    /** A try began toward {@code host}, whose proved SPIFFE ID is {@code principal} (null when plaintext). */
    public void tryStarted(InetSocketAddress host, String principal, long nowNanos) {
        attempts++;
        this.tryStartNanos = nowNanos;
        this.upstreamHost = host;
        this.upstreamPrincipal = principal;
        if (principal != null) {
            span.peer(principal);
        }
    }

    /** The address of a try that needs no endpoint pick (inbound, passthrough). */
    public void upstreamHost(InetSocketAddress host) {
        this.upstreamHost = host;
    }

    /** What the other side's sidecar told of itself (mutual TLS only). */
    public void peerLabels(WorkloadLabels labels) {
        this.peerLabels = labels;
    }

    // ---- what came back -----------------------------------------------------------------------------------

    /** The upstream's response head came now and is passed on: the upstream's time is from its try's start. */
    public void upstreamResponded(long nowNanos) {
        viaUpstream = true;
        upstreamServiceNanos = nowNanos - tryStartNanos;
    }

    public void status(int status) {
        this.status = status;
    }

    /** The gRPC status, from response headers or trailers; the first one told is kept. */
    public void grpcStatusIfUnset(String s) {
        if (s != null && grpcStatus.isEmpty()) {
            grpcStatus = s;
        }
    }

    public void grpcStatus(String s) {
        grpcStatus = s;
    }

    public void flag(ResponseFlag f) {
        flags |= f.bit();
    }

    /** Flags given as Envoy's codes ({@code UF}, {@code UF,URX}); {@code -} adds none. */
    public void flags(String codes) {
        ResponseFlag single = ResponseFlag.ofCode(codes);
        flags |= single != null ? single.bit() : ResponseFlag.bitsOf(codes);
    }

    /** Why the proxy answered itself or cut the exchange, with what the caller is not told; the first one stays. */
    public void detailsIfUnset(String d) {
        if (details == null) {
            details = d;
        }
    }

    /** Replaces the details with a fuller account (the endpoint and the socket error of a failed try). */
    public void details(String d) {
        details = d;
    }

    public void addReceived(long bytes) {
        bytesReceived += bytes;
    }

    public void addSent(long bytes) {
        bytesSent += bytes;
    }

    /** Sent bytes replaced (a local reply is all that went down). */
    public void sent(long bytes) {
        bytesSent = bytes;
    }

    /** gRPC messages of each direction, for istio_request/response_messages_total. */
    public void messages(long request, long response) {
        requestMessages = request;
        responseMessages = response;
    }

    /** It ended now (the proxy's ticker). */
    public void ended(long nowNanos) {
        durationNanos = nowNanos - startNanos;
    }

    // ---- reading ------------------------------------------------------------------------------------------

    public boolean outbound() {
        return outbound;
    }

    public String direction() {
        return outbound ? "outbound" : "inbound";
    }

    public long startEpochMillis() {
        return startEpochMillis;
    }

    public long startNanos() {
        return startNanos;
    }

    public long durationNanos() {
        return durationNanos;
    }

    public String protocol() {
        return protocol;
    }

    public String method() {
        return method;
    }

    public String authority() {
        return authority;
    }

    public String path() {
        return path;
    }

    public String userAgent() {
        return userAgent;
    }

    public String requestId() {
        return requestId;
    }

    public boolean grpc() {
        return grpc;
    }

    public int status() {
        return status;
    }

    public String grpcStatus() {
        return grpcStatus;
    }

    /** The flags as a bit set ({@link ResponseFlag#bit()}). */
    public int flagBits() {
        return flags;
    }

    public boolean has(ResponseFlag f) {
        return (flags & f.bit()) != 0;
    }

    public EnumSet<ResponseFlag> flagSet() {
        return ResponseFlag.setOf(flags);
    }

    /** The flags as Envoy writes them: {@code -}, {@code UF}, {@code UF,URX,DI}. */
    public String flagsText() {
        return ResponseFlag.text(flags);
    }

    public long bytesReceived() {
        return bytesReceived;
    }

    public long bytesSent() {
        return bytesSent;
    }

    public String destinationService() {
        return destinationService;
    }

    public String upstreamCluster() {
        return upstreamCluster;
    }

    public String route() {
        return route;
    }

    public InetSocketAddress upstreamHost() {
        return upstreamHost;
    }

    /** {@code host:port} of the last try's upstream; null when none was tried. */
    public String upstreamHostText() {
        return upstreamHost == null ? null : upstreamHost.getHostString() + ":" + upstreamHost.getPort();
    }

    /** The caller's address, {@code ip:port}; just the IP when the port is unknown; null when nothing is. */
    public String downstreamRemote() {
        return downstreamRemote == null || downstreamRemotePort < 0 ? downstreamRemote
                : downstreamRemote + ":" + downstreamRemotePort;
    }

    public String forwardedFor() {
        return forwardedFor;
    }

    public String sni() {
        return sni;
    }

    /** How long the upstream took to start answering (Envoy's upstream service time); -1 when it did not. */
    public long upstreamServiceNanos() {
        return upstreamServiceNanos;
    }

    /**
     * Envoy's response code details: {@code via_upstream} for the upstream's own answer, else what the flags say
     * ({@code route_not_found}, {@code upstream_reset_before_response_started{connection_failure}}...).
     */
    public String responseCodeDetails() {
        String byFlags = ResponseFlag.details(flags);
        return byFlags != null ? byFlags : viaUpstream ? "via_upstream" : null;
    }

    public String downstreamPrincipal() {
        return downstreamPrincipal;
    }

    public String upstreamPrincipal() {
        return upstreamPrincipal;
    }

    /** The other side's verified identity: the caller inbound, the upstream outbound. */
    public String peerPrincipal() {
        return outbound ? upstreamPrincipal : downstreamPrincipal;
    }

    public WorkloadLabels peerLabels() {
        return peerLabels;
    }

    public String details() {
        return details;
    }

    public int attempts() {
        return attempts;
    }

    /** gRPC request messages; -1 when not counted (not gRPC). */
    public long requestMessages() {
        return requestMessages;
    }

    public long responseMessages() {
        return responseMessages;
    }
}
