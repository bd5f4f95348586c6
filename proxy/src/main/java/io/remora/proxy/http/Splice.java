package io.remora.proxy.http;

import io.remora.proxy.net.Handlers;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.util.ReferenceCountUtil;

/**
 * Turns an upgraded HTTP/1.1 connection pair (WebSocket after 101) into a byte tunnel with backpressure
 * both ways. Neither connection goes back to a pool.
 */
final class Splice extends ChannelInboundHandlerAdapter {
    private final Channel peer;

    private Splice(Channel peer) {
        this.peer = peer;
    }

    /** Called on the shared event loop right after the 101 response was written downstream. */
    static void tunnel(Channel downstream, Channel upstream) {
        // Relays go in first so that bytes a codec still holds are handed to them when the codec leaves.
        downstream.pipeline().addLast(Handlers.TUNNEL, new Splice(upstream));
        upstream.pipeline().addLast(Handlers.TUNNEL, new Splice(downstream));
        // Handlers before codecs: a codec leaving hands its leftover bytes to whatever follows it.
        removeAll(downstream.pipeline(), DownstreamHttpHandler.class, HttpServerCodec.class);
        removeAll(upstream.pipeline(), UpstreamHandler.class, HttpClientCodec.class);
        if (upstream.pipeline().get(Handlers.IDLE) != null) {
            upstream.pipeline().remove(Handlers.IDLE);
        }
        downstream.config().setAutoRead(upstream.isWritable());
        upstream.config().setAutoRead(downstream.isWritable());
    }

    @SafeVarargs
    private static void removeAll(ChannelPipeline p, Class<? extends ChannelHandler>... types) {
        for (Class<? extends ChannelHandler> t : types) {
            if (p.get(t) != null) {
                p.remove(t);
            }
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof ByteBuf buf) {
            peer.write(buf);
        } else {
            // e.g. the empty last-content marker the client codec emits after a 101
            ReferenceCountUtil.release(msg);
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        peer.flush();
        if (!peer.isWritable()) {
            ctx.channel().config().setAutoRead(false);
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        peer.config().setAutoRead(ctx.channel().isWritable());
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (peer.isActive()) {
            peer.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        ctx.close();
    }
}
