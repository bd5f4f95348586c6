package io.remora.launcher;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.remora.net.ListenFailure;
import io.remora.proxy.Transport;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;

/**
 * The demo's application: answers every request with a line of JSON naming itself (service and
 * version) and the request it saw, so a caller can watch traffic split between versions.
 */
public final class DemoBackend implements AutoCloseable {
    private final Channel channel;

    private DemoBackend(Channel channel) {
        this.channel = channel;
    }

    /** Listens on {@code host:port}; a port that cannot be had is a {@link ListenFailure}. */
    public static DemoBackend start(EventLoopGroup group, Transport transport, String host, int port, String service,
                             String version) throws InterruptedException {
        ChannelFuture f = new ServerBootstrap().group(group).channel(transport.serverChannel())
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel c) {
                        c.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(1 << 20),
                                new Handler(service, version));
                    }
                })
                .bind(host, port).await();
        if (!f.isSuccess()) {
            throw ListenFailure.of("demo app " + service + " " + version, host, port, f.cause());
        }
        return new DemoBackend(f.channel());
    }

    InetSocketAddress address() {
        return (InetSocketAddress) channel.localAddress();
    }

    @Override
    public void close() {
        channel.close().awaitUninterruptibly();
    }

    private static final class Handler extends SimpleChannelInboundHandler<FullHttpRequest> {
        private final String service;
        private final String version;

        Handler(String service, String version) {
            this.service = service;
            this.version = version;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
            String body = "{\"service\":\"" + service + "\",\"version\":\"" + version + "\",\"method\":\""
                    + req.method() + "\",\"path\":" + quote(req.uri()) + ",\"request_id\":"
                    + quote(req.headers().get("x-request-id")) + ",\"forwarded_for\":"
                    + quote(req.headers().get("x-forwarded-for")) + "}\n";
            ByteBuf content = Unpooled.copiedBuffer(body, StandardCharsets.UTF_8);
            FullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK, content);
            res.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/json")
                    .setInt(HttpHeaderNames.CONTENT_LENGTH, content.readableBytes())
                    .set("x-demo-version", version);
            boolean keepAlive = HttpUtil.isKeepAlive(req);
            HttpUtil.setKeepAlive(res, keepAlive);
            var f = ctx.writeAndFlush(res);
            if (!keepAlive) {
                f.addListener(ChannelFutureListener.CLOSE);
            }
        }

        private static String quote(String s) {
            if (s == null) {
                return "null";
            }
            StringBuilder sb = new StringBuilder(s.length() + 2).append('"');
            for (int i = 0; i < s.length(); i++) {
                char c = s.charAt(i);
                if (c == '"' || c == '\\') {
                    sb.append('\\').append(c);
                } else if (c < 0x20) {
                    sb.append(String.format("\\u%04x", (int) c));
                } else {
                    sb.append(c);
                }
            }
            return sb.append('"').toString();
        }
    }
}
