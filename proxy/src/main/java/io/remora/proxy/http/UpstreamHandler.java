package io.remora.proxy.http;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2Exception;
import io.netty.handler.codec.http2.Http2ResetFrame;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;

/**
 * Last handler of an upstream stream (a pooled HTTP/1.1 connection or one HTTP/2 stream): hands what the
 * upstream sends to the try ({@link Attempt}) that currently leases the stream.
 */
final class UpstreamHandler extends ChannelInboundHandlerAdapter {
    private final H1Pool pool;
    private Attempt attempt;
    /** The HTTP/2 upstream reset this stream with REFUSED_STREAM: it did not process the request. */
    private boolean refused;

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
        Attempt e = attempt;
        if (e == null) {
            // A response nobody asked for (or bytes after a finished exchange): the connection is unusable.
            ReferenceCountUtil.release(msg);
            ctx.close();
            return;
        }
        e.onRead(msg);
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
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
