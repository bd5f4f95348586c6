package io.remora.proxy.it.http;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.codec.http2.DefaultHttp2DataFrame;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.Http2DataFrame;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamFrame;
import io.netty.util.ReferenceCountUtil;
import io.remora.proxy.Transport;
import io.remora.proxy.testing.Digests;

import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * An h2c (prior knowledge) upstream that answers {@code GET /bytes/{n}} with {@code n} bytes of a
 * {@link Digests} seed and any other request with {@code size} bytes of it, writing DATA frames as fast as
 * the stream's flow-control window lets it, and counting the bytes actually sent. A peer that stops granting
 * window stops it; a reset stream stops it for good (a closed stream channel still reports itself writable,
 * so the producer checks that the stream is open).
 */
final class CountingH2Upstream implements AutoCloseable {
    private static final int FRAME = 16 * 1024;

    private final EventLoopGroup group;
    private final Channel server;
    private final AtomicLong sent = new AtomicLong();

    /** @param size the body size of requests other than {@code /bytes/{n}} */
    CountingH2Upstream(long seed, long size) {
        Transport transport = Transport.best();
        group = transport.newGroup(1, "counting-h2");
        try {
            server = new ServerBootstrap()
                    .group(group)
                    .channel(transport.serverChannel())
                    .childHandler(new ChannelInitializer<>() {
                        @Override
                        protected void initChannel(Channel ch) {
                            ch.pipeline().addLast(Http2FrameCodecBuilder.forServer().build(),
                                    new Http2MultiplexHandler(new ChannelInitializer<Http2StreamChannel>() {
                                        @Override
                                        protected void initChannel(Http2StreamChannel stream) {
                                            stream.pipeline().addLast(new Producer(seed, size));
                                        }
                                    }));
                        }
                    })
                    .bind(new InetSocketAddress("127.0.0.1", 0)).syncUninterruptibly().channel();
        } catch (RuntimeException e) {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            throw e;
        }
    }

    InetSocketAddress address() {
        return (InetSocketAddress) server.localAddress();
    }

    /** Body bytes written to the socket so far (over all streams). */
    long bytesSent() {
        return sent.get();
    }

    @Override
    public void close() {
        server.close().syncUninterruptibly();
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    }

    private final class Producer extends ChannelInboundHandlerAdapter {
        private final Digests.RandomStream random;
        private final long size;
        private long left = -1;
        private String path;

        Producer(long seed, long size) {
            this.random = new Digests.RandomStream(seed);
            this.size = size;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            // the request ends with END_STREAM on its HEADERS or on a (possibly empty) DATA frame
            if (msg instanceof Http2HeadersFrame h && path == null) {
                path = String.valueOf(h.headers().path());
            }
            boolean end = msg instanceof Http2StreamFrame f && (f instanceof Http2HeadersFrame h && h.isEndStream()
                    || f instanceof Http2DataFrame d && d.isEndStream());
            ReferenceCountUtil.release(msg);
            if (end && left < 0 && path != null) {
                left = path.startsWith("/bytes/") ? Long.parseLong(path.substring("/bytes/".length())) : size;
                ctx.write(new DefaultHttp2HeadersFrame(new DefaultHttp2Headers().status("200")
                        .set("content-type", "application/octet-stream")
                        .setLong("content-length", left), left == 0));
                produce(ctx);
            }
        }

        private void produce(ChannelHandlerContext ctx) {
            while (left > 0 && ctx.channel().isActive() && ctx.channel().isWritable()) {
                int len = (int) Math.min(FRAME, left);
                ByteBuf b = ctx.alloc().buffer(len);
                random.nextBytes(b, len);
                left -= len;
                ctx.write(new DefaultHttp2DataFrame(b, left == 0)).addListener(f -> {
                    if (f.isSuccess()) {
                        sent.addAndGet(len);
                    }
                });
            }
            ctx.flush();
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            if (ctx.channel().isWritable()) {
                produce(ctx);
            }
            ctx.fireChannelWritabilityChanged();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }
}
