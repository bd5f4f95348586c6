package io.remora.proxy.http;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http2.Http2CodecUtil;
import io.netty.handler.codec.http2.Http2FrameCodec;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;

/**
 * Connection-level events of a pooled upstream HTTP/2 connection (frame codec and child channels; downstream
 * connections have {@link H2DownstreamHandler}): an idle connection without streams is closed, and the codec's own
 * connection errors are left to it.
 */
public final class H2ConnectionHandler extends ChannelInboundHandlerAdapter {
    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        // SETTINGS, PING, GOAWAY: the codec has acted on them already.
        ReferenceCountUtil.release(msg);
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof IdleStateEvent) {
            Http2FrameCodec codec = ctx.pipeline().get(Http2FrameCodec.class);
            if (codec != null && codec.connection().numActiveStreams() == 0) {
                ctx.close();
            }
            return;
        }
        ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (Http2CodecUtil.getEmbeddedHttp2Exception(cause) != null) {
            // The codec shows us its connection errors before it acts on them: it sends GOAWAY with the error's
            // own code (ENHANCE_YOUR_CALM for a reset flood, PROTOCOL_ERROR...) and closes. Closing here first
            // would make that a graceful GOAWAY with NO_ERROR, telling the peer nothing was wrong.
            return;
        }
        ctx.close();
    }
}
