package io.remora.proxy.http;

import io.netty.channel.Channel;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
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
import io.remora.config.Defaults;
import io.remora.proxy.ProxyContext;
import io.remora.proxy.log.ResponseFlag;
import io.remora.proxy.log.StreamInfo;
import io.remora.proxy.route.RouteDecision;

/**
 * The downstream half of one exchange: a downstream stream (an HTTP/1.1 connection or one HTTP/2 stream) from the
 * request head to the end of the response. Bodies are streamed, never aggregated: request parts go up as they arrive
 * (queued only while the upstream connects), response parts come down as they arrive, and each side stops reading
 * while the other cannot take more (autoRead + writability). The request path, in order, is {@link #begin}: the
 * head's checks ({@link RequestChecks}: a request that could be read two ways is refused before anything acts on
 * it), the forwarding headers ({@link ForwardingHeaders}), the route ({@link Router}, a {@link RouteDecision}), then
 * a local answer or the {@link UpstreamCall}, which runs the policy steps and the tries. What it learns goes into one
 * {@link StreamInfo}, recorded in {@link #finish}, the one place an exchange ends. Everything here runs on the
 * downstream channel's event loop, which is also the upstream's.
 */
final class HttpExchange {
    /** Request bytes queued while the upstream connects before the downstream stops being read. */
    private static final int MAX_PENDING_BYTES = 64 * 1024;

    private final StreamExchanges owner;
    private final DownstreamStream io;
    private final ProxyContext pc;
    private final StreamInfo info;

    private final DownstreamResponse response;
    private boolean websocket;
    private boolean requestHasBody;
    /** gRPC only: the request's messages, for istio_request_messages_total. */
    private GrpcMessageCounter requestMessages;
    /** The upstream half; null when the proxy answered before routing upstream. */
    private UpstreamCall call;
    private ReplayBuffer request;
    private boolean requestDone;
    private boolean finished;

    HttpExchange(StreamExchanges owner, ProxyContext pc) {
        this.owner = owner;
        this.io = owner.io();
        this.pc = pc;
        this.info = new StreamInfo(pc.environment().clock().millis(), pc.environment().ticker().nanoTime(),
                owner.listener().outbound(), owner.remoteIp());
        this.response = new DownstreamResponse(owner, io, pc, info);
    }

    /** The request line and headers arrived: check them, route, and start getting an upstream. */
    void begin(HttpRequest req) {
        HttpHeaders h = req.headers();
        CharSequence contentType = h.get(HttpHeaderNames.CONTENT_TYPE);
        boolean grpc = contentType != null
                && AsciiString.regionMatches(contentType, true, 0, "application/grpc", 0, 16);
        boolean http10 = req.protocolVersion() == HttpVersion.HTTP_1_0;
        response.forRequest(owner.h2() || HttpUtil.isKeepAlive(req), http10, req.method() == HttpMethod.HEAD, grpc);
        info.request(owner.h2() ? "HTTP/2" : http10 ? "HTTP/1.0" : "HTTP/1.1", req.method().name(),
                h.get(HttpHeaderNames.HOST), req.uri(), h.get(HttpHeaderNames.USER_AGENT), grpc);
        info.span(pc.tracing().start(info.outbound(), h, info.method(), info.authority(), info.path(),
                owner.h2() ? "2" : http10 ? "1.0" : "1.1", info.startNanos()));
        info.downstreamPrincipal(info.outbound() ? null : owner.peerPrincipal());
        owner.describeConnection(info);
        if (req.decoderResult().isFailure()) {
            // The head could not be framed: even its Content-Length may not be a number. The connection is in an
            // unknown state, so it closes.
            refuse(req, RequestChecks.malformed(req.decoderResult().cause()));
            return;
        }
        requestHasBody = HttpUtil.isTransferEncodingChunked(req) || HttpUtil.getContentLength(req, 0L) > 0;
        RequestChecks.Refusal refusal = RequestChecks.target(req, owner.h2(), pc.headRules());
        info.target(h.get(HttpHeaderNames.HOST), req.uri());
        if (refusal != null) {
            refuse(req, refusal);
            return;
        }
        websocket = !owner.h2() && HopByHop.isWebSocketUpgrade(h);
        HopByHop.strip(h, websocket);
        refusal = RequestChecks.headerCount(h, pc.headRules());
        if (refusal != null) {
            refuse(req, refusal);
            return;
        }
        owner.calledService(ForwardingHeaders.request(h, owner, pc, info));
        if (grpc) {
            requestMessages = new GrpcMessageCounter();
        }
        RouteDecision decision = Router.route(pc, owner, req);
        info.routed(decision.destinationService(), decision.clusterName(), decision.routeName());
        if (decision instanceof RouteDecision.LocalAnswer answer) {
            info.flags(answer.flags());
            reply(answer.status(), -1, answer.message());
            finishRequestSide(req);
            return;
        }
        RouteDecision.Upstream route = (RouteDecision.Upstream) decision;
        info.upstreamHost(route.address());
        // Translation between HTTP/2 and HTTP/1.1 is the codecs' job: the HTTP/2 stream codec marks bodies
        // without a length as chunked, and no x-http2-* helper header is left (H2RequestHead adds none, HopByHop
        // strips any).
        boolean mayRetry = route.policy().retries().attempts() > 1 && !websocket;
        request = new ReplayBuffer(mayRetry ? Defaults.RETRY_BUFFER_BYTES : 0);
        request.add(req);
        if (req instanceof LastHttpContent) {
            requestDone = true;
        }
        call = new UpstreamCall(this, io, pc, info, route, req, request, owner.deadlines());
        call.start();
    }

    // ---- the request side ----------------------------------------------------------------------------------

    /** A body part of the request. */
    void onRequestContent(HttpContent content) {
        info.addReceived(content.content().readableBytes());
        if (requestMessages != null) {
            requestMessages.feed(content.content());
        }
        if (content.decoderResult().isFailure()) {
            rejectBrokenBody(content);
            return;
        }
        if (response.local()) {
            finishRequestSide(content);
            return;
        }
        boolean last = content instanceof LastHttpContent;
        request.add(content);
        Channel up = upstream();
        if (up != null) {
            request.writeTo(up);
        } else if (request.unsentBytes() > MAX_PENDING_BYTES) {
            // Waiting for a connection (or a retry): stop reading until the upstream takes the backlog.
            io.reading(false);
        }
        if (last) {
            requestDone = true;
            if (up != null) {
                up.flush();
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
        closeUpstream();
        info.flag(ResponseFlag.DOWNSTREAM_PROTOCOL_ERROR);
        if (!response.started()) {
            reply(HttpResponseStatus.BAD_REQUEST, -1, "malformed request body: " + LocalReplies.describe(cause));
        } else {
            owner.abortDownstream();
        }
        finish();
    }

    boolean requestDone() {
        return requestDone;
    }

    void onDownstreamReadComplete() {
        Channel up = upstream();
        if (up != null && !finished) {
            up.flush();
            if (!up.isWritable()) {
                io.reading(false);
            }
        }
    }

    void onDownstreamWritabilityChanged(boolean writable) {
        Channel up = upstream();
        if (up != null && !finished) {
            up.config().setAutoRead(writable);
        }
    }

    void onDownstreamClosed() {
        if (finished) {
            return;
        }
        if (!response.done()) {
            info.flag(ResponseFlag.DOWNSTREAM_CONNECTION_TERMINATION);
        }
        closeUpstream();
        finish();
    }

    /** The current try; null when there is none (answered locally, or waiting before the first). */
    private Attempt attempt() {
        return call == null ? null : call.current();
    }

    private void closeUpstream() {
        Attempt a = attempt();
        if (a != null) {
            a.closeUpstream();
        }
    }

    private Channel upstream() {
        Attempt a = attempt();
        return a == null ? null : a.upstream();
    }

    // ---- local answers -------------------------------------------------------------------------------------

    /** A request the checks refused: 4xx {@code DPE}, and the connection closes after it. */
    private void refuse(HttpRequest req, RequestChecks.Refusal refusal) {
        info.flag(ResponseFlag.DOWNSTREAM_PROTOCOL_ERROR);
        owner.closeAfterResponse();
        reply(refusal.status(), -1, refusal.message());
        finishRequestSide(req);
    }

    /**
     * A reply the proxy makes instead of the upstream's, the flags being in the stream info already.
     *
     * @param grpcStatus for a gRPC caller, the status to answer with; -1 to derive it from {@code s}
     */
    void localFailure(HttpResponseStatus s, int grpcStatus, String message) {
        reply(s, grpcStatus, message);
        afterLocalFailure();
    }

    private void afterLocalFailure() {
        if (request != null) {
            request.release();
        }
        if (!requestDone) {
            // The rest of the body is dropped as it arrives.
            io.reading(true);
        }
        maybeFinish();
    }

    /** After a local reply the rest of the request body is read and dropped. */
    private void finishRequestSide(HttpObject msg) {
        if (msg instanceof LastHttpContent) {
            requestDone = true;
        }
        ReferenceCountUtil.release(msg);
        maybeFinish();
    }

    /** @param grpcStatus for a gRPC caller, the status to answer with; -1 to derive it from {@code s} */
    private void reply(HttpResponseStatus s, int grpcStatus, String message) {
        if (call != null) {
            // Nothing of the upstream call may act once the proxy answers: no timer fires, no try goes on.
            call.cancel();
        }
        boolean bodyStillComing = !requestDone && requestHasBody;
        if (info.grpc() && grpcStatus >= 0) {
            response.replyGrpc(grpcStatus, message, bodyStillComing);
        } else {
            response.reply(s, message, bodyStillComing);
        }
    }

    // ---- the response side: what the upstream call hands over ---------------------------------------------

    /** Whether the upstream call may still act: the exchange has neither finished nor answered by itself. */
    boolean waitingForUpstream() {
        return !finished && !response.local();
    }

    boolean finished() {
        return finished;
    }

    /** Both sides are complete and the exchange is about to finish in the call that completed them (maybeFinish). */
    boolean endsByItself() {
        return !finished && requestDone && response.done();
    }

    DownstreamResponse response() {
        return response;
    }

    /** A try got its stream: what of the request is here goes up, and reading resumes if it was held. */
    void upstreamGranted(Channel stream, boolean inDownstreamRead) {
        request.writeTo(stream);
        if (!inDownstreamRead) {
            // Granted later (a new connection): nothing else will flush. Granted at once (a pooled
            // connection): the read-complete that ends this read flushes, once for head and body.
            stream.flush();
        }
        if (!requestDone && stream.isWritable() && !io.reading()) {
            io.reading(true);
        }
    }

    void upstreamWritabilityChanged(boolean writable) {
        if (!finished && !requestDone && !response.local()) {
            io.reading(writable);
        }
    }

    /** A part of the upstream's response (its head included, once started), passed on. */
    void responsePart(Object msg) {
        if (response.part(msg)) {
            maybeFinish();
        }
    }

    /** A 101 to a WebSocket upgrade: both connections become a byte tunnel; false when no upgrade was asked. */
    boolean switchToTunnel(HttpResponse res, Attempt a) {
        if (!websocket) {
            return false;
        }
        Channel up = a.detach();
        finished = true;
        response.switchingProtocols(res);
        call.handedOver();
        request.release();
        // Recorded when the tunnel ends: with its bytes both ways and its whole duration, as Envoy logs an upgrade.
        io.tunnel(up, (fromDownstream, fromUpstream) -> {
            info.addReceived(fromDownstream);
            info.addSent(fromUpstream);
            record();
        });
        return true;
    }

    /** Part of the response went down: cut the caller's stream, ended first (the close it causes is not DC). */
    void cut(ResponseFlag why) {
        info.flag(why);
        io.flush();
        owner.closeAfterResponse();
        finish();
        owner.abortDownstream();
    }

    // ---- end -----------------------------------------------------------------------------------------------

    private void maybeFinish() {
        if (finished || !response.done()) {
            return;
        }
        if (!requestDone) {
            if (owner.h2()) {
                // The response is complete; the rest of the request is not wanted (RFC 9113 §8.1).
                finish();
                owner.abortDownstream();
                return;
            }
            if (response.local() && !owner.closesAfterResponse()) {
                // A request without a body: its end is right behind; finish then, keeping the connection.
                return;
            }
            Attempt a = attempt();
            if (!response.local() && a != null) {
                // HTTP/1.1: the upstream answered before the body ended; the connection cannot be reused.
                a.upstreamKeepAlive = false;
            }
            owner.closeAfterResponse();
        }
        finish();
    }

    /** The one place an exchange ends: upstream resources go back, then it is recorded, then the owner goes on. */
    private void finish() {
        if (finished) {
            return;
        }
        finished = true;
        if (request != null) {
            request.release();
        }
        if (call != null) {
            // Only a clean ending leaves the connection reusable: no failure flag beyond "retried" or "delayed".
            boolean clean = (info.flagBits() & ~(ResponseFlag.RETRY_LIMIT_EXCEEDED.bit()
                    | ResponseFlag.DELAY_INJECTED.bit())) == 0;
            boolean complete = requestDone && response.done();
            call.finish(complete && !response.local() && clean, complete);
        }
        record();
        owner.exchangeFinished(this);
    }

    private void record() {
        info.ended(pc.environment().ticker().nanoTime());
        if (requestMessages != null) {
            info.messages(requestMessages.messages(), response.messages());
        }
        Telemetry.record(pc, info);
    }
}
