package io.remora.proxy.http;

import io.remora.certs.SpiffeId;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.AsciiString;
import io.netty.util.ReferenceCountUtil;
import io.netty.channel.ConnectTimeoutException;
import io.netty.util.concurrent.ScheduledFuture;
import io.remora.config.Defaults;
import io.remora.proxy.ProxyContext;
import io.remora.proxy.cluster.Cluster;
import io.remora.proxy.cluster.Endpoint;
import io.remora.proxy.cluster.ServiceGuard;
import io.remora.proxy.policy.Backoff;
import io.remora.proxy.policy.ConcurrencyLimits;
import io.remora.proxy.policy.OutlierDetector;
import io.remora.proxy.policy.RetryPolicy;
import io.remora.proxy.policy.RetryReason;
import io.remora.proxy.policy.TimeoutKind;
import io.remora.proxy.policy.TryFailure;
import io.remora.proxy.route.RouteDecision;
import io.remora.proxy.route.RoutePolicy;
import io.remora.proxy.log.AccessLogEntry;
import io.remora.proxy.listener.ListenerSpec;
import io.remora.proxy.metrics.Reporter;
import io.remora.proxy.metrics.RequestMeters;
import io.remora.proxy.metrics.WorkloadLabels;

import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One request/response exchange between a downstream stream (an HTTP/1.1 connection or one HTTP/2
 * stream) and an upstream stream. Bodies are streamed, never aggregated: request parts go up as they
 * arrive (queued only while the upstream connects), response parts come down as they arrive, and each
 * side stops reading while the other cannot take more (autoRead + writability).
 *
 * <p>Everything here runs on the downstream channel's event loop, which is also the upstream's.
 */
final class HttpExchange implements UpstreamRequester, Router.Request {
    /** Request bytes queued while the upstream connects before the downstream stops being read. */
    private static final int MAX_PENDING_BYTES = 64 * 1024;
    /** A Retry-After above this is left to the caller even without a deadline (the route's default deadline). */
    private static final long MAX_RETRY_AFTER_NANOS = io.remora.config.Defaults.ROUTE_TIMEOUT.toNanos();
    private static final AsciiString X_FORWARDED_FOR = AsciiString.cached("x-forwarded-for");
    private static final AsciiString X_FORWARDED_PROTO = AsciiString.cached("x-forwarded-proto");
    /** Envoy's header for the caller's verified identity, as Istio sets it for the app. */
    private static final AsciiString X_FORWARDED_CLIENT_CERT = AsciiString.cached("x-forwarded-client-cert");
    private static final AsciiString X_REQUEST_ID = AsciiString.cached("x-request-id");
    private static final AsciiString GRPC_STATUS = AsciiString.cached("grpc-status");
    private static final AsciiString GRPC_TIMEOUT = AsciiString.cached("grpc-timeout");

    private final DownstreamHttpHandler owner;
    private final ChannelHandlerContext ctx;
    private final ProxyContext pc;
    private final long startNanos;
    private final long startMillis;

    // What was asked.
    private String method;
    private String authority;
    private String path;
    private String requestId;
    private String userAgent;
    private boolean grpc;
    private boolean head;
    private boolean keepAlive;
    private boolean http10;
    private boolean websocket;
    private boolean requestHasBody;
    /** True while the pool is asked for a stream from within a downstream read. */
    private boolean acquiring;
    /** The SPIFFE ID the current try's upstream proved (mTLS), for metrics; null when plaintext. */
    private String upstreamPrincipal;
    /** What the other side's sidecar told of itself (mutual TLS only); null when nothing. */
    private WorkloadLabels peerLabels;
    /** Inbound: the service the source sidecar routed to, when it said and it is this namespace's; else null. */
    private String calledService;
    /** gRPC only: the messages of each direction, for istio_request/response_messages_total. */
    private GrpcMessageCounter requestMessages;
    private GrpcMessageCounter responseMessages;

    // Where it goes: the router's decision (null until routed), and what the telemetry names.
    private RouteDecision.Upstream route;
    private String destinationService = "unknown";
    private String clusterName;
    private String routeName;
    /** The routed cluster; null for inbound and passthrough traffic, which go to one fixed address. */
    private Cluster cluster;
    private RoutePolicy policy = RoutePolicy.NONE;
    /** The current try's upstream address. */
    private InetSocketAddress address;

    // The current try.
    private Endpoint endpoint;
    private int attempt;
    private boolean reusedConnection;
    private boolean tryTimedOut;
    private ScheduledFuture<?> tryTimer;
    private ScheduledFuture<?> backoffTimer;
    private int retries;
    /** The last try failed in a way the rules retry, but no retry was left. */
    private boolean retriesExhausted;

    // The whole exchange.
    private HttpRequest requestHead;
    private ServiceGuard guard;
    private boolean holdsRequestSlot;
    private boolean holdsRetrySlot;
    private boolean idempotent;
    private long deadline;
    private ScheduledFuture<?> deadlineTimer;
    private ScheduledFuture<?> delayTimer;

    // Progress.
    private Channel upstream;
    private UpstreamHandler upstreamHandler;
    private ReplayBuffer request;
    private boolean requestDone;
    private boolean responseStarted;
    private boolean responseDone;
    private boolean localReply;
    private boolean upstreamKeepAlive = true;
    private boolean skipInformationalEnd;
    private boolean finished;
    private int status;
    private String grpcStatus = "";
    private String flags = ResponseFlags.NONE;
    /** An injected delay held this request: DI stays in the flags whatever else they get. */
    private boolean delayed;
    private long bytesReceived;
    private long bytesSent;
    /** What the access log says beyond the reply's text (the endpoint, the socket error); null when nothing. */
    private String details;

    HttpExchange(DownstreamHttpHandler owner, ChannelHandlerContext ctx, ProxyContext pc) {
        this.owner = owner;
        this.ctx = ctx;
        this.pc = pc;
        this.startNanos = now();
        this.startMillis = pc.environment().clock().millis();
    }

    // What the router reads of this request's connection (Router.Request): no object per request for it.

    @Override
    public ListenerSpec listener() {
        return owner.listener();
    }

    @Override
    public InetSocketAddress originalDst() {
        return owner.originalDestination();
    }

    @Override
    public java.net.SocketAddress downstreamRemote() {
        return owner.downstreamRemote();
    }

    @Override
    public String peerPrincipal() {
        return owner.peerPrincipal();
    }

    @Override
    public String peerNamespace() {
        return owner.peerNamespace();
    }

    @Override
    public String calledService() {
        return calledService;
    }

    /** Whether the upstream speaks HTTP/2 (only known once routed). */
    private boolean upstreamH2() {
        return route != null && route.h2();
    }

    /** The request path's monotonic time (deadlines, durations): the proxy's ticker, injected. */
    private long now() {
        return pc.environment().ticker().nanoTime();
    }

    boolean requestDone() {
        return requestDone;
    }

    /** The request line and headers arrived: check them, route, and start getting an upstream. */
    void begin(HttpRequest req) {
        HttpHeaders h = req.headers();
        method = req.method().name();
        path = req.uri();
        authority = h.get(HttpHeaderNames.HOST);
        userAgent = h.get(HttpHeaderNames.USER_AGENT);
        CharSequence contentType = h.get(HttpHeaderNames.CONTENT_TYPE);
        grpc = contentType != null && AsciiString.regionMatches(contentType, true, 0, "application/grpc", 0, 16);
        head = req.method() == HttpMethod.HEAD;
        http10 = req.protocolVersion() == HttpVersion.HTTP_1_0;
        keepAlive = owner.h2() || HttpUtil.isKeepAlive(req);
        if (req.decoderResult().isFailure()) {
            // The head could not be framed: even its Content-Length may not be a number.
            rejectMalformed(req, req.decoderResult().cause());
            return;
        }
        requestHasBody = HttpUtil.isTransferEncodingChunked(req) || HttpUtil.getContentLength(req, 0L) > 0;
        if (!owner.h2() && AbsoluteForm.isAbsolute(path) && req.method() != HttpMethod.CONNECT) {
            // RFC 9112 section 3.2.2: the target's authority replaces Host; routing and policies see that.
            try {
                AbsoluteForm.toOriginForm(req);
            } catch (AbsoluteForm.InvalidTarget e) {
                badRequest(req, HttpResponseStatus.BAD_REQUEST, e.getMessage());
                return;
            }
            authority = h.get(HttpHeaderNames.HOST);
            path = req.uri();
        }
        if (!owner.h2() && !http10 && authority == null) {
            badRequest(req, HttpResponseStatus.BAD_REQUEST, "missing Host header (required by HTTP/1.1)");
            return;
        }
        // RFC 9112 section 3.2: more than one Host field line, or a Host that is not uri-host[:port], is a 400.
        if (!owner.h2() && (h.getAll(HttpHeaderNames.HOST).size() > 1
                || (authority != null && !validAuthority(authority)))) {
            badRequest(req, HttpResponseStatus.BAD_REQUEST, "invalid or repeated Host header");
            return;
        }
        if (!normalizePath(req)) {
            return;
        }
        websocket = !owner.h2() && HopByHop.isWebSocketUpgrade(h);
        HopByHop.strip(h, websocket);
        if (h.size() > pc.headRules().maxHeaders) {
            // Counted after the hop-by-hop and HTTP/2 helper fields are gone: what would reach the app.
            badRequest(req, HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE,
                    "too many header fields (more than " + pc.headRules().maxHeaders + ")");
            return;
        }
        addForwardingHeaders(h);

        RouteDecision decision = Router.route(pc, this, req);
        destinationService = decision.destinationService();
        clusterName = decision.clusterName();
        routeName = decision.routeName();
        if (decision instanceof RouteDecision.LocalAnswer answer) {
            reply(answer.status(), answer.flags(), answer.message());
            finishRequestSide(req);
            return;
        }
        route = (RouteDecision.Upstream) decision;
        cluster = route.cluster();
        policy = route.policy();
        address = route.address();
        // Translation between HTTP/2 and HTTP/1.1 is the codecs' job: the HTTP/2 stream codec marks bodies
        // without a length as chunked, and the x-http2-* helper headers were stripped above.
        boolean mayRetry = policy.retries().attempts() > 1 && !websocket;
        requestHead = req;
        request = new ReplayBuffer(mayRetry ? Defaults.RETRY_BUFFER_BYTES : 0);
        request.add(req);
        if (req instanceof LastHttpContent) {
            requestDone = true;
        }
        applyPolicies(req);
    }

    /**
     * The request path after routing: the steps of {@link RequestSteps} in their order (rate limit, faults,
     * admission), then the deadline (which covers every try and the waits between them), and only then the first
     * try.
     */
    private void applyPolicies(HttpRequest req) {
        if (cluster != null) {
            guard = cluster.guard();
        }
        RequestSteps.Outcome before = RequestSteps.beforeAdmission(policy, guard, pc.environment().randomness(),
                grpc);
        if (before instanceof RequestSteps.Reply reply) {
            answer(reply);
            return;
        }
        if (before instanceof RequestSteps.Delay delay) {
            flags = ResponseFlags.DELAY_INJECTED;
            delayed = true;
            startDeadline(req);
            delayTimer = ctx.executor().schedule(this::delayOver, delay.nanos(), TimeUnit.NANOSECONDS);
            return;
        }
        if (!admit()) {
            return;
        }
        startDeadline(req);
        startTry(null, true);
    }

    private void delayOver() {
        delayTimer = null;
        if (finished || localReply) {
            return;
        }
        if (!admit()) {
            return;
        }
        startTry(null, false);
    }

    /** The circuit breaker's request limit ({@link RequestSteps#admission}); false once answered 503 UO. */
    private boolean admit() {
        idempotent = RetryPolicy.idempotent(method);
        RequestSteps.Outcome admitted = RequestSteps.admission(guard, destinationService);
        if (admitted instanceof RequestSteps.Reply reply) {
            answer(reply);
            return false;
        }
        holdsRequestSlot = guard != null;
        return true;
    }

    /** A step's local answer: a gRPC status of its own for gRPC callers when it names one. */
    private void answer(RequestSteps.Reply r) {
        if (grpc && r.grpcStatus() >= 0) {
            replyGrpc(r.grpcStatus(), r.flags(), r.message());
        } else {
            reply(r.status(), r.flags(), r.message());
        }
        afterLocalFailure();
    }

    /**
     * The deadline: the route's, or the gRPC caller's own when it sent a shorter one (the route's timeout is the
     * operator's upper bound; the caller gives up sooner anyway); none when neither is set.
     */
    private void startDeadline(HttpRequest req) {
        long timeout = policy.timeoutNanos();
        if (grpc) {
            long callerTimeout = GrpcTimeout.parseNanos(req.headers().get(GRPC_TIMEOUT));
            if (callerTimeout >= 0 && (timeout == 0 || callerTimeout < timeout)) {
                timeout = callerTimeout;
            }
        }
        if (timeout > 0) {
            deadline = now() + timeout;
            deadlineTimer = ctx.executor().schedule(this::deadlineExpired, timeout, TimeUnit.NANOSECONDS);
        }
    }

    // ---- tries ---------------------------------------------------------------------------------------------

    /**
     * Picks an endpoint (another one than {@code avoid} when there is one) and asks the pool for a stream.
     *
     * @param inDownstreamRead true when called while the downstream channel is reading: its read-complete flushes
     *                         a stream granted at once; from a timer nothing would, so the grant flushes itself
     */
    private void startTry(Endpoint avoid, boolean inDownstreamRead) {
        attempt++;
        upstreamKeepAlive = true;
        reusedConnection = false;
        tryTimedOut = false;
        if (cluster != null) {
            endpoint = avoid == null ? cluster.pick() : cluster.pick(avoid);
            address = endpoint.address();
            endpoint.requestStarted();
            guard.meters().attempt();
        }
        if (grpc && deadline != 0) {
            // The upstream gets the time actually left, so it can give up when the caller will have.
            requestHead.headers().set(GRPC_TIMEOUT, GrpcTimeout.format(deadline - now()));
        }
        long perTry = policy.retries().perTryTimeoutNanos();
        if (perTry > 0) {
            long left = deadline == 0 ? perTry : Math.min(perTry, deadline - now());
            tryTimer = ctx.executor().schedule(this::tryTimeout, Math.max(0, left), TimeUnit.NANOSECONDS);
        }
        UpstreamPools.LoopPools loop = pc.pools().current(ctx.channel().eventLoop());
        ConcurrencyLimits limits = guard == null ? ConcurrencyLimits.UNLIMITED : guard.limits();
        acquiring = inDownstreamRead;
        // mTLS to an endpoint that declares its identity, when this sidecar has one.
        SpiffeId identity = endpoint != null && pc.upstreamTls() != null ? endpoint.spiffeId() : null;
        upstreamPrincipal = identity == null ? null : endpoint.identity();
        if (identity != null) {
            // To another sidecar, over mTLS: who is calling and which service it was routed as (PeerMetadata).
            requestHead.headers().set(PeerMetadata.PEER, pc.peerMetadata().own())
                    .set(PeerMetadata.SERVICE, destinationService);
        } else if (attempt > 1) {
            requestHead.headers().remove(PeerMetadata.PEER).remove(PeerMetadata.SERVICE);
        }
        if (route.h2()) {
            loop.h2(address, route.source(), identity).acquire(this, route.connectTimeout(), route.idleTimeout(), limits);
        } else {
            loop.h1(address, route.source(), identity).acquire(this, route.connectTimeout(), route.idleTimeout(), limits);
        }
        acquiring = false;
    }

    /**
     * A try failed before any response went downstream. Retries it when the rules, the attempts left, the replay
     * buffer, the circuit breaker, the retry budget and the deadline all allow; otherwise answers with the failure.
     *
     * @return true when a retry was scheduled
     */
    private boolean retry(RetryReason reason, long retryAfterNanos) {
        if (reason == null) {
            return false;
        }
        if (attempt >= policy.retries().attempts()) {
            retriesExhausted = true;
            return false;
        }
        if (!request.replayable() || owner.downstreamGone()) {
            return false;
        }
        long wait = policy.retries().backoff().delayNanos(attempt,
                pc.environment().randomness().current());
        if (retryAfterNanos > wait) {
            if (retryAfterNanos > MAX_RETRY_AFTER_NANOS) {
                // Longer than a proxy should hold a request: the caller gets the answer and its Retry-After.
                return false;
            }
            wait = retryAfterNanos;
        }
        if (deadline != 0 && now() + wait >= deadline) {
            // The retry could not finish in time: answer now with what we have.
            return false;
        }
        if (holdsRetrySlot) {
            guard.limits().releaseRetry();
            holdsRetrySlot = false;
        }
        if (guard != null) {
            if (!guard.limits().tryAcquireRetry()) {
                guard.meters().overflow(ConcurrencyLimits.Limit.RETRIES);
                return false;
            }
            if (!guard.budget().tryRetry()) {
                guard.limits().releaseRetry();
                guard.meters().budgetExhausted();
                return false;
            }
            holdsRetrySlot = true;
            guard.meters().retry(reason);
        }
        retries++;
        Endpoint previous = endTry();
        request.rewind();
        backoffTimer = ctx.executor().schedule(() -> {
            backoffTimer = null;
            if (!finished && !localReply) {
                startTry(previous, false);
            }
        }, wait, TimeUnit.NANOSECONDS);
        return true;
    }

    /** Ends the current try: its timer, its stream, its endpoint's count. Returns the endpoint it used. */
    private Endpoint endTry() {
        cancel(tryTimer);
        tryTimer = null;
        abortUpstream();
        Endpoint e = endpoint;
        if (e != null) {
            e.requestFinished();
            endpoint = null;
        }
        return e;
    }

    private void report(OutlierDetector.Outcome outcome) {
        if (guard != null && endpoint != null) {
            guard.report(endpoint, outcome);
        }
    }

    private void tryTimeout() {
        tryTimer = null;
        if (finished || localReply || responseStarted) {
            return;
        }
        tryTimedOut = true;
        if (guard != null) {
            guard.meters().timeout(TimeoutKind.PER_TRY);
        }
        report(OutlierDetector.Outcome.GATEWAY_ERROR);
        if (retry(policy.retries().reason(TryFailure.PER_TRY_TIMEOUT, 0, -1, idempotent), 0)) {
            return;
        }
        endTry();
        localFailure(HttpResponseStatus.GATEWAY_TIMEOUT, withRetryFlag(ResponseFlags.UPSTREAM_REQUEST_TIMEOUT),
                "upstream request timeout (per-try timeout)");
    }

    private void deadlineExpired() {
        deadlineTimer = null;
        if (finished) {
            return;
        }
        if (guard != null) {
            guard.meters().timeout(TimeoutKind.DEADLINE);
        }
        if (responseStarted) {
            // Part of the response went down already; the only honest signal left is to cut the stream.
            flags = ResponseFlags.UPSTREAM_REQUEST_TIMEOUT;
            report(OutlierDetector.Outcome.GATEWAY_ERROR);
            abortUpstream();
            ctx.flush();
            owner.abortDownstream();
            finish();
            return;
        }
        if (localReply) {
            return;
        }
        if (upstream != null || tryTimer != null) {
            report(OutlierDetector.Outcome.GATEWAY_ERROR);
        }
        cancel(backoffTimer);
        cancel(delayTimer);
        endTry();
        localFailure(HttpResponseStatus.GATEWAY_TIMEOUT, ResponseFlags.UPSTREAM_REQUEST_TIMEOUT,
                "upstream request timeout");
    }

    private String withRetryFlag(String f) {
        return retriesExhausted && retries > 0 ? ResponseFlags.withRetryLimit(f) : f;
    }

    /** A reply the proxy makes instead of the upstream's, with the request still possibly arriving. */
    private void localFailure(HttpResponseStatus s, String responseFlags, String message) {
        reply(s, responseFlags, message);
        afterLocalFailure();
    }

    private void afterLocalFailure() {
        if (request != null) {
            request.release();
        }
        if (!requestDone) {
            // The rest of the body is dropped as it arrives.
            ctx.channel().config().setAutoRead(true);
        }
        maybeFinish();
    }

    /**
     * The path every later step sees (routes, authorization, the app): normalized, so no spelling of a path can
     * reach what another spelling is refused. False when the request was answered 400.
     */
    private boolean normalizePath(HttpRequest req) {
        String uri = req.uri();
        if (owner.h2() && !uri.isEmpty() && uri.charAt(0) != '/' && !(uri.equals("*")
                && req.method() == HttpMethod.OPTIONS) && req.method() != HttpMethod.CONNECT) {
            badRequest(req, HttpResponseStatus.BAD_REQUEST, "invalid :path (expected /path or * for OPTIONS)");
            return false;
        }
        if (req.method() == HttpMethod.CONNECT) {
            return true;
        }
        try {
            String normalized = pc.headRules().paths.normalize(uri);
            if (normalized != uri) {
                req.setUri(normalized);
                path = normalized;
            }
            return true;
        } catch (PathNormalizer.InvalidPath e) {
            badRequest(req, HttpResponseStatus.BAD_REQUEST, "invalid path: " + e.getMessage());
            return false;
        }
    }

    /** uri-host [ ":" port ] of RFC 3986: reg-name or IPv4 characters, or a bracketed IP literal. */
    static boolean validAuthority(String a) {
        int i = 0;
        int n = a.length();
        if (n > 0 && a.charAt(0) == '[') {
            int close = a.indexOf(']');
            if (close < 0) {
                return false;
            }
            for (int k = 1; k < close; k++) {
                char c = a.charAt(k);
                if (!(Character.isLetterOrDigit(c) && c < 128) && c != ':' && c != '.') {
                    return false;
                }
            }
            i = close + 1;
        } else {
            for (; i < n && a.charAt(i) != ':'; i++) {
                char c = a.charAt(i);
                boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                        || "-._~!$&'()*+,;=%".indexOf(c) >= 0;
                if (!ok) {
                    return false;
                }
            }
        }
        if (i == n) {
            return true;
        }
        if (a.charAt(i) != ':') {
            return false;
        }
        for (int k = i + 1; k < n; k++) {
            if (a.charAt(k) < '0' || a.charAt(k) > '9') {
                return false;
            }
        }
        return true;
    }

    private void addForwardingHeaders(HttpHeaders h) {
        String remote = owner.remoteIp();
        if (remote != null) {
            String first = h.get(X_FORWARDED_FOR);
            if (first == null || first.isEmpty()) {
                h.set(X_FORWARDED_FOR, remote);
            } else {
                // Several x-forwarded-for lines are one comma-separated list (RFC 9110 §5.3): keep every hop.
                List<String> prior = h.getAll(X_FORWARDED_FOR);
                StringBuilder xff = new StringBuilder(first.length() + remote.length() + 16);
                for (int i = 0; i < prior.size(); i++) {
                    String v = prior.get(i).trim();
                    if (!v.isEmpty()) {
                        xff.append(v).append(", ");
                    }
                }
                h.set(X_FORWARDED_FOR, xff.append(remote).toString());
            }
        }
        if (!h.contains(X_FORWARDED_PROTO)) {
            h.set(X_FORWARDED_PROTO, "http");
        }
        if (!owner.listener().outbound()) {
            // Inbound: the app learns who called from the verified identity only; a caller cannot claim one.
            h.remove(X_FORWARDED_CLIENT_CERT);
            String peer = owner.peerPrincipal();
            if (peer != null) {
                h.set(X_FORWARDED_CLIENT_CERT, "By=" + pc.principal() + ";URI=" + peer);
                // What the source sidecar says of itself and of the service it called counts over mTLS only.
                peerLabels = pc.peerMetadata().peer(h.get(PeerMetadata.PEER), owner.peerNamespace());
                calledService = pc.peerMetadata().calledService(h.get(PeerMetadata.SERVICE));
            }
        }
        // Never passed on as they came: inbound they are for this sidecar, outbound an app cannot claim them.
        h.remove(PeerMetadata.PEER);
        h.remove(PeerMetadata.SERVICE);
        if (grpc) {
            requestMessages = new GrpcMessageCounter();
            responseMessages = new GrpcMessageCounter();
        }
        requestId = h.get(X_REQUEST_ID);
        if (requestId == null || requestId.isEmpty()) {
            requestId = RequestIds.next();
            h.set(X_REQUEST_ID, requestId);
        }
    }

    private void rejectMalformed(HttpRequest req, Throwable cause) {
        HttpResponseStatus s = HttpResponseStatus.BAD_REQUEST;
        String name = cause == null ? "" : cause.getClass().getSimpleName();
        if (name.equals("TooLongHttpHeaderException")) {
            s = HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE;
        } else if (name.equals("TooLongHttpLineException")) {
            s = HttpResponseStatus.REQUEST_URI_TOO_LONG;
        }
        String reason = cause == null || cause.getMessage() == null ? "malformed request" : cause.getMessage();
        // A message the decoder could not frame leaves the connection in an unknown state: close it.
        owner.closeAfterResponse();
        badRequest(req, s, "malformed request: " + reason);
    }

    private void badRequest(HttpRequest req, HttpResponseStatus s, String message) {
        flags = ResponseFlags.DOWNSTREAM_PROTOCOL_ERROR;
        owner.closeAfterResponse();
        reply(s, flags, message);
        finishRequestSide(req);
    }

    /** After a local reply the rest of the request body is read and dropped. */
    private void finishRequestSide(HttpObject msg) {
        if (msg instanceof LastHttpContent) {
            requestDone = true;
        }
        ReferenceCountUtil.release(msg);
        maybeFinish();
    }

    // Called by Router for requests the proxy answers itself.
    void reply(HttpResponseStatus s, String responseFlags, String message) {
        if (details == null) {
            details = message;
        }
        // A request held by an injected delay that then fails keeps DI beside the failure (Envoy: UF,URX,DI).
        responseFlags = delayed ? ResponseFlags.withDelay(responseFlags) : responseFlags;
        if (grpc) {
            replyGrpc(LocalReplies.grpcStatusFor(s.code()), responseFlags, message);
        } else {
            send(LocalReplies.http(ctx.alloc(), s, responseFlags, message), responseFlags);
        }
    }

    /** A gRPC caller gets a gRPC status (HTTP 200, trailers-only) it can act on. */
    private void replyGrpc(int code, String responseFlags, String message) {
        responseFlags = delayed ? ResponseFlags.withDelay(responseFlags) : responseFlags;
        grpcStatus = Integer.toString(code);
        send(LocalReplies.grpc(ctx.alloc(), code, responseFlags, message), responseFlags);
    }

    private void send(FullHttpResponse res, String responseFlags) {
        flags = responseFlags;
        localReply = true;
        responseStarted = true;
        responseDone = true;
        status = res.status().code();
        bytesSent = res.content().readableBytes();
        if (!owner.h2()) {
            // A body still on its way would have to be read and thrown away; closing is cheaper.
            if ((!requestDone && requestHasBody) || !keepAlive || owner.drainsHere()) {
                owner.closeAfterResponse();
            }
            if (owner.closesAfterResponse()) {
                res.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
            } else if (http10) {
                res.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
            }
        }
        ctx.writeAndFlush(res);
    }

    /** A body part of the request. */
    void onRequestContent(HttpContent content) {
        bytesReceived += content.content().readableBytes();
        if (requestMessages != null) {
            requestMessages.feed(content.content());
        }
        if (content.decoderResult().isFailure()) {
            rejectBrokenBody(content);
            return;
        }
        if (localReply) {
            finishRequestSide(content);
            return;
        }
        boolean last = content instanceof LastHttpContent;
        request.add(content);
        if (upstream != null) {
            request.writeTo(upstream);
        } else if (request.unsentBytes() > MAX_PENDING_BYTES) {
            // Waiting for a connection (or a retry): stop reading until the upstream takes the backlog.
            ctx.channel().config().setAutoRead(false);
        }
        if (last) {
            requestDone = true;
            if (upstream != null) {
                upstream.flush();
            }
            maybeFinish();
        }
    }

    /** The body could not be framed (bad chunk size...): the upstream got a partial request, so both go. */
    private void rejectBrokenBody(HttpContent content) {
        Throwable cause = content.decoderResult().cause();
        ReferenceCountUtil.release(content);
        requestDone = true;
        owner.closeAfterResponse();
        abortUpstream();
        if (!responseStarted) {
            cancelTimers();
            endTry();
            request.release();
            reply(HttpResponseStatus.BAD_REQUEST, ResponseFlags.DOWNSTREAM_PROTOCOL_ERROR,
                    "malformed request body: " + (cause == null ? "unknown" : describe(cause)));
            finish();
        } else {
            flags = ResponseFlags.DOWNSTREAM_PROTOCOL_ERROR;
            owner.abortDownstream();
            finish();
        }
    }

    void onDownstreamReadComplete() {
        Channel up = upstream;
        if (up != null && !finished) {
            up.flush();
            if (!up.isWritable()) {
                ctx.channel().config().setAutoRead(false);
            }
        }
    }

    void onDownstreamWritabilityChanged(boolean writable) {
        Channel up = upstream;
        if (up != null && !finished) {
            up.config().setAutoRead(writable);
        }
    }

    void onDownstreamClosed() {
        if (finished) {
            return;
        }
        if (!responseDone) {
            flags = ResponseFlags.DOWNSTREAM_CONNECTION_TERMINATION;
        }
        abortUpstream();
        finish();
    }

    // ---- upstream side -------------------------------------------------------------------------------

    @Override
    public boolean stillWaiting() {
        return !finished && !localReply;
    }

    @Override
    public void upstreamReady(Channel stream, boolean reused) {
        upstream = stream;
        reusedConnection = reused;
        upstreamHandler = stream.pipeline().get(UpstreamHandler.class);
        upstreamHandler.attach(this);
        request.writeTo(stream);
        if (!acquiring) {
            // Granted later (a new connection): nothing else will flush. Granted at once (a pooled
            // connection): the read-complete that ends this read flushes, once for head and body.
            stream.flush();
        }
        if (!requestDone && stream.isWritable() && !ctx.channel().config().isAutoRead()) {
            ctx.channel().config().setAutoRead(true);
        }
    }

    @Override
    public void upstreamFailed(Throwable cause) {
        if (finished || localReply) {
            return;
        }
        if (guard != null && cause instanceof ConnectTimeoutException) {
            guard.meters().timeout(TimeoutKind.CONNECT);
        }
        report(OutlierDetector.Outcome.GATEWAY_ERROR);
        if (retry(policy.retries().reason(TryFailure.CONNECT_FAILURE, 0, -1, idempotent), 0)) {
            return;
        }
        endTry();
        // The caller learns the reason; the endpoint and the socket error stay in the access log.
        details = "connection failure to " + endpointText() + ": " + describe(cause);
        localFailure(HttpResponseStatus.SERVICE_UNAVAILABLE, withRetryFlag(ResponseFlags.UPSTREAM_CONNECT_FAILURE),
                "upstream connect error or disconnect/reset before headers. reset reason: connection failure");
    }

    @Override
    public void upstreamOverflow(ConcurrencyLimits.Limit limit) {
        if (finished || localReply) {
            return;
        }
        if (guard != null) {
            guard.meters().overflow(limit);
        }
        endTry();
        localFailure(HttpResponseStatus.SERVICE_UNAVAILABLE, ResponseFlags.UPSTREAM_OVERFLOW,
                "upstream overflow: " + destinationService + " has its maximum of " + limit.label());
    }

    void onUpstreamRead(Object msg) {
        if (finished) {
            ReferenceCountUtil.release(msg);
            return;
        }
        if (msg instanceof HttpResponse res) {
            int code = res.status().code();
            if (code == 101 && websocket && !upstreamH2()) {
                switchToTunnel(res);
                return;
            }
            if (code >= 100 && code < 200) {
                forwardInformational(res);
                return;
            }
            if (retryResponse(res)) {
                ReferenceCountUtil.release(msg);
                return;
            }
            startResponse(res);
        }
        if (msg instanceof HttpContent content) {
            if (skipInformationalEnd) {
                skipInformationalEnd = false;
                ReferenceCountUtil.release(msg);
                return;
            }
            bytesSent += content.content().readableBytes();
            if (responseMessages != null) {
                responseMessages.feed(content.content());
            }
            if (msg instanceof LastHttpContent last) {
                if (grpcStatus.isEmpty()) {
                    String s = last.trailingHeaders().get(GRPC_STATUS);
                    if (s != null) {
                        grpcStatus = s;
                    }
                }
                responseDone = true;
                ctx.writeAndFlush(msg, ctx.voidPromise());
                maybeFinish();
                return;
            }
        }
        if (msg instanceof HttpObject) {
            // Nothing waits on these writes: a void promise saves a promise per body part; a failed
            // write surfaces as exceptionCaught and closes the connection.
            ctx.write(msg, ctx.voidPromise());
        } else {
            ReferenceCountUtil.release(msg);
        }
    }

    /**
     * The response head of a try, before anything of it went downstream: tells outlier detection how the endpoint
     * did, and retries when the rules say so. The rejected response is dropped with its connection.
     */
    private boolean retryResponse(HttpResponse res) {
        int code = res.status().code();
        report(OutlierDetector.classify(code));
        if (code < 500 && policy.retries().attempts() <= 1) {
            return false;
        }
        int headerGrpcStatus = grpc ? grpcCode(res.headers().get(GRPC_STATUS)) : -1;
        RetryReason reason = policy.retries().reason(TryFailure.RESPONSE, code, headerGrpcStatus, idempotent);
        if (reason == null) {
            return false;
        }
        long retryAfter = Backoff.retryAfterNanos(res.headers().get(HttpHeaderNames.RETRY_AFTER),
                pc.environment().clock().millis());
        if (retry(reason, Math.max(0, retryAfter))) {
            return true;
        }
        if (retriesExhausted && retries > 0) {
            flags = ResponseFlags.RETRY_LIMIT_EXCEEDED;
        }
        return false;
    }

    private static int grpcCode(String value) {
        if (value == null || value.isEmpty() || value.length() > 2) {
            return -1;
        }
        int code = 0;
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c < '0' || c > '9') {
                return -1;
            }
            code = code * 10 + (c - '0');
        }
        return code;
    }

    private void startResponse(HttpResponse res) {
        responseStarted = true;
        // From here on nothing is retried: the try's own limit is over and the replay copies can go.
        cancel(tryTimer);
        tryTimer = null;
        request.stopRetaining();
        status = res.status().code();
        HttpHeaders h = res.headers();
        if (!upstreamH2()) {
            upstreamKeepAlive = HttpUtil.isKeepAlive(res);
        }
        HopByHop.strip(h, false);
        if (owner.listener().outbound()) {
            String told = h.get(PeerMetadata.PEER);
            if (told != null) {
                h.remove(PeerMetadata.PEER);
            }
            if (upstreamPrincipal != null) {
                peerLabels = pc.peerMetadata().peer(told, endpoint.spiffeId().namespace());
            }
        } else {
            h.remove(PeerMetadata.PEER);
            if (owner.peerPrincipal() != null) {
                h.set(PeerMetadata.PEER, pc.peerMetadata().own());
            }
        }
        String gs = h.get(GRPC_STATUS);
        if (gs != null) {
            grpcStatus = gs;
        }
        if (!owner.h2()) {
            boolean bodyAllowed = !head && status != 204 && status != 304;
            boolean delimited = res instanceof FullHttpResponse || HttpUtil.isContentLengthSet(res);
            if (http10) {
                // HTTP/1.0 has no chunked coding (RFC 9112 §7.1): a body without a length ends with the connection.
                if (HttpUtil.isTransferEncodingChunked(res)) {
                    HttpUtil.setTransferEncodingChunked(res, false);
                }
                if (bodyAllowed && !delimited) {
                    owner.closeAfterResponse();
                }
            } else if (bodyAllowed && !delimited && !HttpUtil.isTransferEncodingChunked(res)) {
                // The upstream delimits the body by closing; downstream keeps its connection, so chunk it.
                HttpUtil.setTransferEncodingChunked(res, true);
            }
            if (!keepAlive || owner.drainsHere()) {
                owner.closeAfterResponse();
            }
            if (owner.closesAfterResponse()) {
                h.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
            } else if (http10) {
                h.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
            }
        }
    }

    /** 1xx other than 101 (100 Continue, 103 Early Hints): passed on, the exchange goes on. */
    private void forwardInformational(HttpResponse res) {
        if (res instanceof FullHttpResponse) {
            ctx.writeAndFlush(res);
            return;
        }
        FullHttpResponse full = new DefaultFullHttpResponse(res.protocolVersion(), res.status(),
                ctx.alloc().buffer(0), res.headers(), io.netty.handler.codec.http.EmptyHttpHeaders.INSTANCE);
        skipInformationalEnd = true;
        ctx.writeAndFlush(full);
    }

    /** 101 to a WebSocket upgrade: both connections become a byte tunnel. */
    private void switchToTunnel(HttpResponse res) {
        responseStarted = true;
        responseDone = true;
        status = 101;
        Channel down = ctx.channel();
        Channel up = upstream;
        upstreamHandler.detach();
        ctx.writeAndFlush(res);
        finished = true;
        cancelTimers();
        request.release();
        if (endpoint != null) {
            endpoint.requestFinished();
            endpoint = null;
        }
        if (holdsRequestSlot) {
            guard.limits().releaseRequest();
            holdsRequestSlot = false;
        }
        // Recorded when the tunnel ends: with its bytes both ways and its whole duration, as Envoy logs an upgrade.
        Splice.tunnel(down, up, (fromDownstream, fromUpstream) -> {
            bytesReceived += fromDownstream;
            bytesSent += fromUpstream;
            record();
        });
    }

    void onUpstreamReadComplete() {
        if (finished) {
            return;
        }
        ctx.flush();
        if (!ctx.channel().isWritable() && upstream != null) {
            upstream.config().setAutoRead(false);
        }
    }

    void onUpstreamWritabilityChanged(boolean writable) {
        if (!finished && !requestDone && !localReply) {
            ctx.channel().config().setAutoRead(writable);
        }
    }

    void onUpstreamClosed(Throwable cause, boolean refusedStream) {
        if (finished) {
            return;
        }
        boolean sawResponse = responseStarted;
        upstream = null;
        if (!sawResponse) {
            report(OutlierDetector.Outcome.GATEWAY_ERROR);
            TryFailure failure = refusedStream ? TryFailure.REFUSED_STREAM
                    : reusedConnection && !upstreamH2() ? TryFailure.POOLED_CONNECTION_CLOSED
                    : TryFailure.RESET_BEFORE_RESPONSE;
            if (retry(policy.retries().reason(failure, 0, -1, idempotent), 0)) {
                return;
            }
            endTry();
            String reason = refusedStream ? "refused stream" : "connection termination";
            details = reason + " by " + endpointText() + (cause == null ? "" : ": " + describe(cause));
            localFailure(HttpResponseStatus.SERVICE_UNAVAILABLE,
                    withRetryFlag(ResponseFlags.UPSTREAM_CONNECTION_TERMINATION),
                    "upstream connect error or disconnect/reset before headers. reset reason: " + reason);
            return;
        }
        if (!responseDone) {
            // Part of the response went down already; the only honest signal left is to cut the stream.
            flags = ResponseFlags.UPSTREAM_CONNECTION_TERMINATION;
            report(OutlierDetector.Outcome.GATEWAY_ERROR);
            ctx.flush();
            owner.abortDownstream();
            finish();
        }
    }

    // ---- end -----------------------------------------------------------------------------------------

    private void maybeFinish() {
        if (finished || !responseDone) {
            return;
        }
        if (!requestDone) {
            if (owner.h2()) {
                // The response is complete; the rest of the request is not wanted (RFC 9113 §8.1).
                finish();
                owner.abortDownstream();
                return;
            }
            if (localReply && !owner.closesAfterResponse()) {
                // A request without a body: its end is right behind; finish then, keeping the connection.
                return;
            }
            if (!localReply) {
                // HTTP/1.1: the upstream answered before the body ended; the connection cannot be reused.
                upstreamKeepAlive = false;
            }
            owner.closeAfterResponse();
        }
        finish();
    }

    private void finish() {
        if (finished) {
            return;
        }
        finished = true;
        cancelTimers();
        if (request != null) {
            request.release();
        }
        Channel up = upstream;
        upstream = null;
        if (up != null) {
            if (upstreamHandler != null) {
                upstreamHandler.detach();
            }
            H1Pool pool = upstreamHandler == null ? null : upstreamHandler.pool();
            if (pool != null && upstreamKeepAlive && requestDone && responseDone && !localReply
                    && ResponseFlags.upstreamReusable(flags)) {
                pool.release(up);
            } else if (pool != null || !responseDone || !requestDone) {
                up.close();
            }
        }
        if (endpoint != null) {
            endpoint.requestFinished();
            endpoint = null;
        }
        if (holdsRetrySlot) {
            guard.limits().releaseRetry();
            holdsRetrySlot = false;
        }
        if (holdsRequestSlot) {
            guard.limits().releaseRequest();
            holdsRequestSlot = false;
        }
        record();
        owner.exchangeFinished(this);
    }

    private void cancelTimers() {
        cancel(deadlineTimer);
        cancel(tryTimer);
        cancel(backoffTimer);
        cancel(delayTimer);
        deadlineTimer = null;
        tryTimer = null;
        backoffTimer = null;
        delayTimer = null;
    }

    private static void cancel(ScheduledFuture<?> timer) {
        if (timer != null) {
            timer.cancel(false);
        }
    }

    private void abortUpstream() {
        Channel up = upstream;
        upstream = null;
        if (up != null) {
            if (upstreamHandler != null) {
                upstreamHandler.detach();
            }
            up.close();
        }
    }

    private void record() {
        long durationNanos = now() - startNanos;
        Reporter reporter = owner.listener().outbound() ? Reporter.SOURCE : Reporter.DESTINATION;
        String peer = reporter == Reporter.DESTINATION ? owner.peerPrincipal() : upstreamPrincipal;
        String flags = delayed ? ResponseFlags.withDelay(this.flags) : this.flags;
        RequestMeters meters = pc.metrics().request(reporter, destinationService, grpc ? "grpc" : "http", status,
                grpcStatus, flags, peer, peerLabels);
        meters.record(durationNanos, bytesReceived, bytesSent);
        if (requestMessages != null) {
            meters.recordMessages(requestMessages.messages(), responseMessages.messages());
        }
        if (pc.accessLog().enabled()) {
            pc.accessLog().log(new AccessLogEntry(startMillis, owner.listener().outbound() ? "outbound" : "inbound",
                    owner.h2() ? "HTTP/2" : http10 ? "HTTP/1.0" : "HTTP/1.1", method, authority, path, status,
                    grpcStatus.isEmpty() ? null : grpcStatus, flags, durationNanos / 1000, clusterName,
                    address == null ? null : address.getHostString() + ":" + address.getPort(), bytesReceived,
                    bytesSent, requestId, owner.remoteIp(), routeName, userAgent, peer, details));
        }
    }

    private String endpointText() {
        return address == null ? "unknown" : address.getHostString() + ":" + address.getPort();
    }

    private static String describe(Throwable cause) {
        if (cause == null) {
            return "unknown";
        }
        String m = cause.getMessage();
        return m == null ? cause.getClass().getSimpleName() : m;
    }
}
