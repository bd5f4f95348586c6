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
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.util.ReferenceCountUtil;

/**
 * Turns an upgraded HTTP/1.1 connection pair (WebSocket after 101) into a byte tunnel with backpressure
 * both ways. Neither connection goes back to a pool.
 */
final class Splice extends ChannelInboundHandlerAdapter {
    /** Told once, when both sides of the tunnel have closed, how many bytes each side sent. */
    interface Closed {
        void closed(long fromDownstream, long fromUpstream);
    }

    /** What both relays of one tunnel share; confined to their one event loop. */
    private static final class Tunnel {
        final Closed onClosed;
        long fromDownstream;
        long fromUpstream;
        int closedSides;

        Tunnel(Closed onClosed) {
            this.onClosed = onClosed;
        }
    }

    private final Channel peer;
    private final Tunnel tunnel;
    private final boolean downstreamSide;

    private Splice(Channel peer, Tunnel tunnel, boolean downstreamSide) {
        this.peer = peer;
        this.tunnel = tunnel;
        this.downstreamSide = downstreamSide;
    }

    /**
     * Called on the shared event loop right after the 101 response was written downstream; {@code onClosed} hears
     * the tunnel's bytes once it has ended, so the request is recorded with them and with its whole duration.
     */
    static void tunnel(Channel downstream, Channel upstream, Closed onClosed) {
        Tunnel t = new Tunnel(onClosed);
        // Relays go in first so that bytes a codec still holds are handed to them when the codec leaves.
        downstream.pipeline().addLast(Handlers.TUNNEL, new Splice(upstream, t, true));
        upstream.pipeline().addLast(Handlers.TUNNEL, new Splice(downstream, t, false));
        // Handlers before codecs: a codec leaving hands its leftover bytes to whatever follows it.
        removeAll(downstream.pipeline(), DownstreamHttpHandler.class, HttpServerCodec.class);
        removeAll(upstream.pipeline(), UpstreamHandler.class, UpstreamHttp1Codec.class);
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
            if (downstreamSide) {
                tunnel.fromDownstream += buf.readableBytes();
            } else {
                tunnel.fromUpstream += buf.readableBytes();
            }
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
        if (++tunnel.closedSides == 2) {
            tunnel.onClosed.closed(tunnel.fromDownstream, tunnel.fromUpstream);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        ctx.close();
    }
}
