package io.remora.proxy.testing;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.ContinuationWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolConfig;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler;
import io.netty.util.ReferenceCountUtil;
import io.remora.proxy.Transport;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A WebSocket echo server on 127.0.0.1 (ephemeral port): upgrades on {@code /ws} and echoes text, binary and
 * continuation frames as they come; pings are answered and close frames handled by Netty. Other HTTP
 * requests get 404.
 */
public final class WebSocketEchoServer implements AutoCloseable {
    public static final String PATH = "/ws";

    private final EventLoopGroup group;
    private final Channel server;
    private final AtomicLong connections = new AtomicLong();
    private final AtomicLong frames = new AtomicLong();

    public WebSocketEchoServer() {
        Transport transport = Transport.best();
        group = transport.newGroup(1, "ws-echo");
        WebSocketServerProtocolConfig config = WebSocketServerProtocolConfig.newBuilder()
                .websocketPath(PATH)
                .maxFramePayloadLength(1 << 20)
                .build();
        try {
            server = new ServerBootstrap()
                    .group(group)
                    .channel(transport.serverChannel())
                    .childHandler(new ChannelInitializer<>() {
                        @Override
                        protected void initChannel(Channel ch) {
                            connections.incrementAndGet();
                            ch.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(64 * 1024),
                                    new WebSocketServerProtocolHandler(config), new Echo());
                        }
                    })
                    .bind(new InetSocketAddress("127.0.0.1", 0)).syncUninterruptibly().channel();
        } catch (RuntimeException e) {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            throw e;
        }
    }

    public int port() {
        return address().getPort();
    }

    public InetSocketAddress address() {
        return (InetSocketAddress) server.localAddress();
    }

    /** TCP connections accepted so far. */
    public long connectionCount() {
        return connections.get();
    }

    /** Data frames (text, binary, continuation) echoed so far. */
    public long framesEchoed() {
        return frames.get();
    }

    @Override
    public void close() {
        server.close().syncUninterruptibly();
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    }

    private final class Echo extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof TextWebSocketFrame || msg instanceof BinaryWebSocketFrame
                    || msg instanceof ContinuationWebSocketFrame) {
                frames.incrementAndGet();
                ctx.writeAndFlush(msg); // ownership moves to the write
            } else if (msg instanceof FullHttpRequest req) {
                boolean keepAlive = HttpUtil.isKeepAlive(req);
                var version = req.protocolVersion();
                req.release();
                FullHttpResponse res = new DefaultFullHttpResponse(version,
                        HttpResponseStatus.NOT_FOUND, Unpooled.copiedBuffer("not found\n", StandardCharsets.UTF_8));
                res.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8");
                HttpUtil.setContentLength(res, res.content().readableBytes());
                HttpUtil.setKeepAlive(res, keepAlive);
                var f = ctx.writeAndFlush(res);
                if (!keepAlive) {
                    f.addListener(ChannelFutureListener.CLOSE);
                }
            } else {
                ReferenceCountUtil.release(msg);
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }
}
