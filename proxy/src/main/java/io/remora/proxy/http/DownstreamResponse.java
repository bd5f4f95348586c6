package io.remora.proxy.http;

import io.netty.channel.Channel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.EmptyHttpHeaders;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import io.remora.proxy.ProxyContext;
import io.remora.proxy.log.StreamInfo;

/**
 * What goes back to the caller on one downstream stream, and how far it got: a local reply the proxy makes, or the
 * upstream's response passed on part by part (its head edited by {@link ForwardingHeaders}, framed for HTTP/1.x by
 * {@link H1Framing}). Counts what it sends into the {@link StreamInfo}; the exchange decides when it is over.
 */
final class DownstreamResponse {
    private final StreamExchanges owner;
    private final DownstreamStream io;
    private final ProxyContext pc;
    private final StreamInfo info;
    private boolean keepAlive;
    private boolean http10;
    private boolean head;
    /** gRPC only: the response's messages, for istio_response_messages_total. */
    private GrpcMessageCounter messages;
    private boolean started;
    private boolean done;
    private boolean local;
    /** A 1xx went down as a full response: the empty last part the codec decodes after it is not passed on. */
    private boolean skipInformationalEnd;

    DownstreamResponse(StreamExchanges owner, DownstreamStream io, ProxyContext pc, StreamInfo info) {
        this.owner = owner;
        this.io = io;
        this.pc = pc;
        this.info = info;
    }

    /** What of the request the framing depends on. */
    void forRequest(boolean keepAlive, boolean http10, boolean head, boolean grpc) {
        this.keepAlive = keepAlive;
        this.http10 = http10;
        this.head = head;
        if (grpc) {
            messages = new GrpcMessageCounter();
        }
    }

    boolean started() {
        return started;
    }

    boolean done() {
        return done;
    }

    /** Whether the proxy answered by itself. */
    boolean local() {
        return local;
    }

    long messages() {
        return messages == null ? -1 : messages.messages();
    }

    // ---- local replies --------------------------------------------------------------------------------------

    /**
     * A reply the proxy makes itself, with the stream info's flags in {@code x-remora-response-flags}; a gRPC caller
     * gets a gRPC status instead.
     *
     * @param bodyStillComing the request's body has not all arrived (HTTP/1.x closes rather than read it)
     */
    void reply(HttpResponseStatus s, String message, boolean bodyStillComing) {
        info.detailsIfUnset(message);
        if (info.grpc()) {
            replyGrpc(LocalReplies.grpcStatusFor(s.code()), message, bodyStillComing);
        } else {
            send(LocalReplies.http(io.alloc(), s, info.flagsText(), message), bodyStillComing);
        }
    }

    /** A gRPC caller gets a gRPC status (HTTP 200, trailers-only) it can act on. */
    void replyGrpc(int code, String message, boolean bodyStillComing) {
        info.grpcStatus(Integer.toString(code));
        send(LocalReplies.grpc(io.alloc(), code, info.flagsText(), message), bodyStillComing);
    }

    private void send(FullHttpResponse res, boolean bodyStillComing) {
        local = true;
        started = true;
        done = true;
        info.status(res.status().code());
        info.sent(res.content().readableBytes());
        if (!owner.h2()) {
            H1Framing.localReply(res, owner, keepAlive, http10, bodyStillComing);
        }
        io.writeAndFlush(res);
    }

    // ---- the upstream's response ----------------------------------------------------------------------------

    /** A response head no try will retry: edited for the caller and framed for its connection. */
    void start(HttpResponse res, String upstreamNamespace) {
        started = true;
        info.upstreamResponded(pc.environment().ticker().nanoTime());
        int status = res.status().code();
        info.status(status);
        HttpHeaders h = res.headers();
        HopByHop.strip(h, false);
        ForwardingHeaders.response(h, owner, pc, info, upstreamNamespace);
        String gs = h.get(LocalReplies.GRPC_STATUS);
        if (gs != null) {
            info.grpcStatus(gs);
        }
        if (!owner.h2()) {
            H1Framing.upstreamResponse(res, status, owner, keepAlive, http10, head);
        }
    }

    /**
     * A part of the response (its head included, once started): counted and passed on.
     *
     * @return true when it was the last part
     */
    boolean part(Object msg) {
        if (msg instanceof HttpContent content) {
            if (skipInformationalEnd) {
                skipInformationalEnd = false;
                ReferenceCountUtil.release(msg);
                return false;
            }
            info.addSent(content.content().readableBytes());
            if (messages != null) {
                messages.feed(content.content());
            }
            if (msg instanceof LastHttpContent last) {
                info.grpcStatusIfUnset(last.trailingHeaders().get(LocalReplies.GRPC_STATUS));
                done = true;
                io.writeAndFlush((HttpObject) msg);
                return true;
            }
        }
        if (msg instanceof HttpObject) {
            io.write((HttpObject) msg);
        } else {
            ReferenceCountUtil.release(msg);
        }
        return false;
    }

    /** 1xx other than 101 (100 Continue, 103 Early Hints): passed on, the exchange goes on. */
    void informational(HttpResponse res) {
        if (res instanceof FullHttpResponse) {
            io.writeAndFlush(res);
            return;
        }
        FullHttpResponse full = new DefaultFullHttpResponse(res.protocolVersion(), res.status(),
                io.alloc().buffer(0), res.headers(), EmptyHttpHeaders.INSTANCE);
        skipInformationalEnd = true;
        io.writeAndFlush(full);
    }

    /** 101 to a WebSocket upgrade: sent, and the stream is no longer HTTP. */
    void switchingProtocols(HttpResponse res) {
        started = true;
        done = true;
        info.status(101);
        io.writeAndFlush(res);
    }

    /** The upstream's read ended: what it gave goes out, and the upstream waits while the caller cannot take more. */
    void flush(Channel upstream) {
        io.flush();
        if (upstream != null && !io.isWritable()) {
            upstream.config().setAutoRead(false);
        }
    }
}
