package io.remora.proxy.it.edge;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.remora.proxy.Transport;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * An HTTP/1.1 server whose every response (body: its name) is sent {@code delayMillis} after the request arrived.
 * The delay is scheduled on the event loop, never slept, so one server holds many slow requests at once.
 */
final class DelayedHttpServer implements AutoCloseable {
    private final String name;
    private final long delayMillis;
    private final EventLoopGroup group;
    private final Channel server;
    private final AtomicLong requests = new AtomicLong();

    DelayedHttpServer(String name, long delayMillis) {
        this.name = name;
        this.delayMillis = delayMillis;
        Transport transport = Transport.best();
        group = transport.newGroup(1, "delayed-" + name);
        server = new ServerBootstrap()
                .group(group)
                .channel(transport.serverChannel())
                .childHandler(new ChannelInitializer<>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ch.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(64 * 1024),
                                new Handler());
                    }
                })
                .bind(new InetSocketAddress("127.0.0.1", 0)).syncUninterruptibly().channel();
    }

    int port() {
        return ((InetSocketAddress) server.localAddress()).getPort();
    }

    long requestCount() {
        return requests.get();
    }

    @Override
    public void close() {
        server.close().syncUninterruptibly();
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    }

    private final class Handler extends SimpleChannelInboundHandler<FullHttpRequest> {
        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
            requests.incrementAndGet();
            boolean keepAlive = HttpUtil.isKeepAlive(req);
            Runnable respond = () -> {
                byte[] body = name.getBytes(StandardCharsets.UTF_8);
                FullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK,
                        Unpooled.wrappedBuffer(body));
                HttpUtil.setContentLength(res, body.length);
                HttpUtil.setKeepAlive(res, keepAlive);
                res.headers().set("x-served-by", name);
                ctx.writeAndFlush(res);
                if (!keepAlive) {
                    ctx.close();
                }
            };
            if (delayMillis > 0) {
                ctx.executor().schedule(respond, delayMillis, TimeUnit.MILLISECONDS);
            } else {
                respond.run();
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }
}
