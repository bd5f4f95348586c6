package io.remora.proxy.http;

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
import io.remora.proxy.ProxyContext;
import io.remora.proxy.cluster.Endpoint;
import io.remora.proxy.log.AccessLogEntry;
import io.remora.proxy.metrics.Reporter;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.List;

/**
 * One request/response exchange between a downstream stream (an HTTP/1.1 connection or one HTTP/2
 * stream) and an upstream stream. Bodies are streamed, never aggregated: request parts go up as they
 * arrive (queued only while the upstream connects), response parts come down as they arrive, and each
 * side stops reading while the other cannot take more (autoRead + writability).
 *
 * <p>Everything here runs on the downstream channel's event loop, which is also the upstream's.
 */
final class HttpExchange implements UpstreamRequester {
    /** Request bytes queued while the upstream connects before the downstream stops being read. */
    private static final int MAX_PENDING_BYTES = 64 * 1024;
    private static final AsciiString X_FORWARDED_FOR = AsciiString.cached("x-forwarded-for");
    private static final AsciiString X_FORWARDED_PROTO = AsciiString.cached("x-forwarded-proto");
    private static final AsciiString X_REQUEST_ID = AsciiString.cached("x-request-id");
    private static final AsciiString GRPC_STATUS = AsciiString.cached("grpc-status");

    private final DownstreamHttpHandler owner;
    private final ChannelHandlerContext ctx;
    private final ProxyContext pc;
    private final long startNanos = System.nanoTime();
    private final long startMillis = System.currentTimeMillis();

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

    // Where it goes (set by Router).
    String destinationService = "unknown";
    String clusterName;
    String routeName;
    Endpoint endpoint;
    InetSocketAddress address;
    boolean upstreamH2;
    Duration connectTimeout;
    Duration idleTimeout;

    // Progress.
    private Channel upstream;
    private UpstreamHandler upstreamHandler;
    private ArrayDeque<HttpObject> pending;
    private int pendingBytes;
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
    private long bytesReceived;
    private long bytesSent;

    HttpExchange(DownstreamHttpHandler owner, ChannelHandlerContext ctx, ProxyContext pc) {
        this.owner = owner;
        this.ctx = ctx;
        this.pc = pc;
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
        websocket = !owner.h2() && HopByHop.isWebSocketUpgrade(h);
        HopByHop.strip(h, websocket);
        addForwardingHeaders(h);

        if (!Router.route(this, pc, owner.listener(), owner.originalDestination(), owner.downstreamRemote(), req)) {
            finishRequestSide(req);
            return;
        }
        // Translation between HTTP/2 and HTTP/1.1 is the codecs' job: the HTTP/2 stream codec marks bodies
        // without a length as chunked, and the x-http2-* helper headers were stripped above.
        queue(req);
        if (req instanceof LastHttpContent) {
            requestDone = true;
        }
        if (endpoint != null) {
            endpoint.requestStarted();
        }
        UpstreamPools.LoopPools loop = pc.pools().current(ctx.channel().eventLoop());
        acquiring = true;
        if (upstreamH2) {
            loop.h2(address).acquire(this, connectTimeout, idleTimeout);
        } else {
            loop.h1(address).acquire(this, connectTimeout, idleTimeout);
        }
        acquiring = false;
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
        flags = responseFlags;
        localReply = true;
        responseStarted = true;
        responseDone = true;
        FullHttpResponse res;
        if (grpc) {
            res = LocalReplies.grpc(ctx.alloc(), LocalReplies.grpcStatusFor(s.code()), responseFlags, message);
            grpcStatus = Integer.toString(LocalReplies.grpcStatusFor(s.code()));
        } else {
            res = LocalReplies.http(ctx.alloc(), s, responseFlags, message);
        }
        status = res.status().code();
        bytesSent = res.content().readableBytes();
        if (!owner.h2()) {
            // A body still on its way would have to be read and thrown away; closing is cheaper.
            if ((!requestDone && requestHasBody) || !keepAlive || pc.draining()) {
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
        if (content.decoderResult().isFailure()) {
            rejectBrokenBody(content);
            return;
        }
        if (localReply) {
            finishRequestSide(content);
            return;
        }
        boolean last = content instanceof LastHttpContent;
        if (upstream != null) {
            upstream.write(content, upstream.voidPromise());
        } else {
            queue(content);
            if (pendingBytes > MAX_PENDING_BYTES) {
                ctx.channel().config().setAutoRead(false);
            }
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
            releasePending();
            reply(HttpResponseStatus.BAD_REQUEST, ResponseFlags.DOWNSTREAM_PROTOCOL_ERROR,
                    "malformed request body: " + (cause == null ? "unknown" : describe(cause)));
            finish();
        } else {
            flags = ResponseFlags.DOWNSTREAM_PROTOCOL_ERROR;
            owner.abortDownstream();
            finish();
        }
    }

    private void queue(HttpObject msg) {
        if (pending == null) {
            pending = new ArrayDeque<>(4);
        }
        pending.add(msg);
        if (msg instanceof HttpContent c) {
            pendingBytes += c.content().readableBytes();
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
        upstreamHandler = stream.pipeline().get(UpstreamHandler.class);
        upstreamHandler.attach(this);
        HttpObject msg;
        if (pending != null) {
            while ((msg = pending.poll()) != null) {
                stream.write(msg, stream.voidPromise());
            }
        }
        pendingBytes = 0;
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
        releasePending();
        reply(HttpResponseStatus.SERVICE_UNAVAILABLE, ResponseFlags.UPSTREAM_CONNECT_FAILURE,
                "upstream connect error or disconnect/reset before headers. reset reason: connection failure ("
                        + describe(cause) + ")");
        if (!requestDone) {
            // The rest of the body is dropped as it arrives.
            ctx.channel().config().setAutoRead(true);
        }
        maybeFinish();
    }

    void onUpstreamRead(Object msg) {
        if (finished) {
            ReferenceCountUtil.release(msg);
            return;
        }
        if (msg instanceof HttpResponse res) {
            int code = res.status().code();
            if (code == 101 && websocket && !upstreamH2) {
                switchToTunnel(res);
                return;
            }
            if (code >= 100 && code < 200) {
                forwardInformational(res);
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

    private void startResponse(HttpResponse res) {
        responseStarted = true;
        status = res.status().code();
        HttpHeaders h = res.headers();
        if (!upstreamH2) {
            upstreamKeepAlive = HttpUtil.isKeepAlive(res);
        }
        HopByHop.strip(h, false);
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
            if (!keepAlive || pc.draining()) {
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
        record();
        Splice.tunnel(down, up);
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

    void onUpstreamClosed(Throwable cause) {
        if (finished) {
            return;
        }
        upstream = null;
        if (!responseStarted) {
            releasePending();
            reply(HttpResponseStatus.SERVICE_UNAVAILABLE, ResponseFlags.UPSTREAM_CONNECTION_TERMINATION,
                    "upstream connect error or disconnect/reset before headers. reset reason: connection termination"
                            + (cause == null ? "" : " (" + describe(cause) + ")"));
            if (!requestDone) {
                ctx.channel().config().setAutoRead(true);
            }
            maybeFinish();
            return;
        }
        if (!responseDone) {
            // Part of the response went down already; the only honest signal left is to cut the stream.
            flags = ResponseFlags.UPSTREAM_CONNECTION_TERMINATION;
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
        releasePending();
        Channel up = upstream;
        upstream = null;
        if (up != null) {
            if (upstreamHandler != null) {
                upstreamHandler.detach();
            }
            H1Pool pool = upstreamHandler == null ? null : upstreamHandler.pool();
            if (pool != null && upstreamKeepAlive && requestDone && responseDone && !localReply
                    && ResponseFlags.NONE.equals(flags)) {
                pool.release(up);
            } else if (pool != null || !responseDone || !requestDone) {
                up.close();
            }
        }
        record();
        owner.exchangeFinished(this);
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

    private void releasePending() {
        if (pending != null) {
            HttpObject msg;
            while ((msg = pending.poll()) != null) {
                ReferenceCountUtil.release(msg);
            }
            pendingBytes = 0;
        }
    }

    private void record() {
        if (endpoint != null) {
            endpoint.requestFinished();
        }
        long durationNanos = System.nanoTime() - startNanos;
        Reporter reporter = owner.listener().outbound() ? Reporter.SOURCE : Reporter.DESTINATION;
        pc.metrics().request(reporter, destinationService, grpc ? "grpc" : "http", status, grpcStatus, flags)
                .record(durationNanos, bytesReceived, bytesSent);
        if (pc.accessLog().enabled()) {
            pc.accessLog().log(new AccessLogEntry(startMillis, owner.listener().outbound() ? "outbound" : "inbound",
                    owner.h2() ? "HTTP/2" : http10 ? "HTTP/1.0" : "HTTP/1.1", method, authority, path, status,
                    grpcStatus.isEmpty() ? null : grpcStatus, flags, durationNanos / 1000, clusterName,
                    address == null ? null : address.getHostString() + ":" + address.getPort(), bytesReceived,
                    bytesSent, requestId, owner.remoteIp(), routeName, userAgent));
        }
    }

    private static String describe(Throwable cause) {
        if (cause == null) {
            return "unknown";
        }
        String m = cause.getMessage();
        return m == null ? cause.getClass().getSimpleName() : m;
    }
}
