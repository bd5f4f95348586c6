package io.remora.proxy.tcp;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.util.ReferenceCountUtil;

/**
 * The relay's handler on one of its two channels (at the end of the downstream pipeline as
 * {@value TcpRelay#HANDLER_NAME}, and on the upstream connection): hands each event of that channel to the
 * {@link Relay}'s side for it. Anything but bytes (left over from an earlier handler) is released.
 */
final class RelaySide extends ChannelInboundHandlerAdapter {
    /** What the relay does on each event of one of its channels. */
    interface Events {
        void read(ByteBuf buf);

        void readComplete();

        void writabilityChanged();

        /** The peer shut down its output (FIN): half-closure. */
        void inputShutdown();

        void inactive();

        void failed();

        /** The handler left the pipeline. */
        default void removed() {
        }
    }

    private final Events events;

    RelaySide(Events events) {
        this.events = events;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof ByteBuf buf) {
            events.read(buf);
        } else {
            ReferenceCountUtil.release(msg);
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        events.readComplete();
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        events.writabilityChanged();
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof ChannelInputShutdownEvent) {
            events.inputShutdown();
            return;
        }
        ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        events.inactive();
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        events.failed();
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        events.removed();
    }
}
