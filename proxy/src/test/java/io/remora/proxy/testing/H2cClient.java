package io.remora.proxy.testing;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamChannelBootstrap;
import io.netty.handler.codec.http2.Http2StreamFrameToHttpObjectCodec;
import io.remora.proxy.Transport;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.channels.ClosedChannelException;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A minimal HTTP/2 cleartext client (prior knowledge) for tests: one connection, one stream per request,
 * responses aggregated (up to 64 MiB) with their trailers.
 */
public final class H2cClient implements AutoCloseable {
    private static final int MAX_RESPONSE = 64 * 1024 * 1024;

    /** A complete response; {@code trailers} is empty when the response had none. */
    public record Response(int status, HttpHeaders headers, byte[] body, HttpHeaders trailers) {
        public String bodyText() {
            return new String(body, java.nio.charset.StandardCharsets.UTF_8);
        }
    }

    private final EventLoopGroup group;
    private final Channel connection;
    private final String authority;

    public H2cClient(InetSocketAddress server) {
        Transport transport = Transport.best();
        group = transport.newGroup(1, "h2c-client");
        authority = server.getHostString() + ":" + server.getPort();
        try {
            connection = new Bootstrap()
                    .group(group)
                    .channel(transport.socketChannel())
                    .handler(new ChannelInitializer<>() {
                        @Override
                        protected void initChannel(Channel ch) {
                            ch.pipeline().addLast(Http2FrameCodecBuilder.forClient().build(),
                                    new Http2MultiplexHandler(new SimpleChannelInboundHandler<Object>() {
                                        @Override
                                        protected void channelRead0(ChannelHandlerContext ctx, Object msg) {
                                            // no server-initiated streams expected
                                        }
                                    }));
                        }
                    })
                    .connect(server).syncUninterruptibly().channel();
        } catch (RuntimeException e) {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            throw e;
        }
    }

    public Response get(String path) throws IOException {
        return request(HttpMethod.GET, path, Map.of(), new byte[0]);
    }

    /** Sends one request on a new stream and waits (30 s at most) for the complete response. */
    public Response request(HttpMethod method, String path, Map<String, String> headers, byte[] body)
            throws IOException {
        CompletableFuture<Response> result = new CompletableFuture<>();
        Http2StreamChannel stream = new Http2StreamChannelBootstrap(connection)
                .handler(new ChannelInitializer<Http2StreamChannel>() {
                    @Override
                    protected void initChannel(Http2StreamChannel ch) {
                        ch.pipeline().addLast(new Http2StreamFrameToHttpObjectCodec(false),
                                new HttpObjectAggregator(MAX_RESPONSE), new ChannelInboundHandlerAdapter() {
                                    @Override
                                    public void channelRead(ChannelHandlerContext ctx, Object msg) {
                                        if (msg instanceof FullHttpResponse res) {
                                            try {
                                                result.complete(new Response(res.status().code(),
                                                        new DefaultHttpHeaders().add(res.headers()),
                                                        ByteBufUtil.getBytes(res.content()),
                                                        new DefaultHttpHeaders().add(res.trailingHeaders())));
                                            } finally {
                                                res.release();
                                            }
                                        } else {
                                            io.netty.util.ReferenceCountUtil.release(msg);
                                        }
                                    }

                                    @Override
                                    public void channelInactive(ChannelHandlerContext ctx) {
                                        result.completeExceptionally(new ClosedChannelException());
                                    }

                                    @Override
                                    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                                        result.completeExceptionally(cause);
                                        ctx.close();
                                    }
                                });
                    }
                })
                .open().syncUninterruptibly().getNow();
        FullHttpRequest req = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, method, path,
                Unpooled.wrappedBuffer(body));
        req.headers().set(HttpHeaderNames.HOST, authority);
        headers.forEach((k, v) -> req.headers().set(k, v));
        if (body.length > 0 || method.equals(HttpMethod.POST) || method.equals(HttpMethod.PUT)) {
            HttpUtil.setContentLength(req, body.length);
        }
        stream.writeAndFlush(req);
        try {
            return result.get(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        } catch (ExecutionException e) {
            throw new IOException("h2 request " + path + " failed", e.getCause());
        } catch (TimeoutException e) {
            stream.close();
            throw new IOException("h2 request " + path + " timed out after " + Duration.ofSeconds(30));
        }
    }

    @Override
    public void close() {
        connection.close().syncUninterruptibly();
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    }
}
