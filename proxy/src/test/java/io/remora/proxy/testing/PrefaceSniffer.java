package io.remora.proxy.testing;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.http2.Http2CodecUtil;

import java.util.List;
import java.util.function.Consumer;

/**
 * For test servers serving HTTP/1.1 and h2c (prior knowledge) on one port: chooses by the first bytes, lets the
 * caller set up the pipeline for what it saw, then removes itself (forwarding what it read).
 */
final class PrefaceSniffer extends ByteToMessageDecoder {
    private static final byte[] PREFACE = ByteBufUtil.getBytes(Http2CodecUtil.connectionPrefaceBuf());

    private final Consumer<ChannelHandlerContext> http1;
    private final Consumer<ChannelHandlerContext> h2;

    /** Each callback adds its handlers after this one ({@code ctx.name()}) or at the end of the pipeline. */
    PrefaceSniffer(Consumer<ChannelHandlerContext> http1, Consumer<ChannelHandlerContext> h2) {
        this.http1 = http1;
        this.h2 = h2;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        int n = Math.min(in.readableBytes(), PREFACE.length);
        for (int i = 0; i < n; i++) {
            if (in.getByte(in.readerIndex() + i) != PREFACE[i]) {
                http1.accept(ctx);
                ctx.pipeline().remove(this);
                return;
            }
        }
        if (n == PREFACE.length) {
            h2.accept(ctx);
            ctx.pipeline().remove(this);
        }
    }
}
