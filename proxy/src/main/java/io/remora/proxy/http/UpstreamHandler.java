package io.remora.proxy.http;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2Exception;
import io.netty.handler.codec.http2.Http2ResetFrame;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;

/**
 * Last handler of an upstream stream (a pooled HTTP/1.1 connection or one HTTP/2 stream): hands what the
 * upstream sends to the try ({@link Attempt}) that currently leases the stream.
 *
 * <p>On HTTP/1.1 a response with a {@code Content-Length} whose whole body came in the same read as its head (most
 * responses of a mesh) is handed on as one {@code FullHttpResponse}: it then goes downstream as one write, one
 * buffer (the encoder copies a small body behind the head) and one flush, instead of two of each. The head waits for
 * at most the rest of that read; whatever else follows it, or the read's end, or the connection's, hands it on alone
 * first, so the try sees every response it would have seen, in the same order.
 */
final class UpstreamHandler extends ChannelInboundHandlerAdapter {
    private final H1Pool pool;
    private Attempt attempt;
    /** The HTTP/2 upstream reset this stream with REFUSED_STREAM: it did not process the request. */
    private boolean refused;
    /** HTTP/1.1: a response head held until the next part of this read shows whether its whole body is here. */
    private HttpResponse heldHead;

    /** @param pool the pool a HTTP/1.1 connection returns to; null for an HTTP/2 stream */
    UpstreamHandler(H1Pool pool) {
        this.pool = pool;
    }

    void attach(Attempt e) {
        this.attempt = e;
    }

    void detach() {
        this.attempt = null;
    }

    H1Pool pool() {
        return pool;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof Http2ResetFrame reset) {
            refused |= reset.errorCode() == Http2Error.REFUSED_STREAM.code();
            ReferenceCountUtil.release(msg);
            return;
        }
        HttpResponse head = heldHead;
        if (head != null) {
            heldHead = null;
            if (msg instanceof LastHttpContent last && !(msg instanceof HttpResponse)
                    && last.decoderResult().isSuccess()) {
                msg = new DefaultFullHttpResponse(head.protocolVersion(), head.status(), last.content(),
                        head.headers(), last.trailingHeaders());
            } else {
                deliver(ctx, head);
            }
        } else if (pool != null && worthHolding(msg)) {
            heldHead = (HttpResponse) msg;
            return;
        }
        deliver(ctx, msg);
    }

    /** A final response head with a length, read without error, and no part of a message itself. */
    private static boolean worthHolding(Object msg) {
        return msg instanceof HttpResponse res && !(msg instanceof HttpContent)
                && res.status().code() >= 200 && res.decoderResult().isSuccess() && HttpUtil.isContentLengthSet(res);
    }

    private void deliver(ChannelHandlerContext ctx, Object msg) {
        Attempt e = attempt;
        if (e == null) {
            // A response nobody asked for (or bytes after a finished exchange): the connection is unusable.
            ReferenceCountUtil.release(msg);
            ctx.close();
            return;
        }
        e.onRead(msg);
    }

    /** A held head goes on before anything else the try hears: the read's end, the connection's end. */
    private void deliverHeld(ChannelHandlerContext ctx) {
        HttpResponse head = heldHead;
        if (head != null) {
            heldHead = null;
            deliver(ctx, head);
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        deliverHeld(ctx);
        Attempt e = attempt;
        if (e != null) {
            e.onReadComplete();
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        Attempt e = attempt;
        if (e != null) {
            e.onWritabilityChanged(ctx.channel().isWritable());
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        deliverHeld(ctx);
        if (pool != null) {
            pool.forget(ctx.channel());
        }
        Attempt e = attempt;
        attempt = null;
        if (e != null) {
            e.onClosed(null, refused);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        deliverHeld(ctx);
        Attempt e = attempt;
        attempt = null;
        if (e != null) {
            e.onClosed(cause, refused || refusedStream(cause));
        }
        ctx.close();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof Http2ResetFrame reset && reset.errorCode() == Http2Error.REFUSED_STREAM.code()) {
            refused = true;
        }
        if (evt instanceof IdleStateEvent && attempt == null) {
            ctx.close();
            return;
        }
        ctx.fireUserEventTriggered(evt);
    }

    private static boolean refusedStream(Throwable cause) {
        return cause instanceof Http2Exception h2 && h2.error() == Http2Error.REFUSED_STREAM;
    }
}
