package io.remora.proxy.testing;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamFrameToHttpObjectCodec;
import io.remora.proxy.Transport;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * An upstream whose behaviour a test scripts request by request, for resilience tests: each request (HTTP/1.1 or
 * h2c with prior knowledge, on 127.0.0.1, ephemeral port) takes the next queued {@link Step}, or the default step
 * once the queue is empty. Steps answer with a status, answer late, never answer, or close the connection (an h2
 * stream is reset) without answering. Every request is logged with its headers and body, and counted by method.
 */
public final class ScriptedUpstream implements AutoCloseable {

    /** What the upstream does with one request. */
    public sealed interface Step permits Answer, Hang, Close {
    }

    /** Answers {@code status} with {@code body} and {@code headers}, after {@code delay}. */
    public record Answer(int status, String body, Map<String, String> headers, Duration delay) implements Step {
    }

    /** Never answers; the request is held until the test or the client gives up. */
    public record Hang() implements Step {
    }

    /** Closes the connection (resets the h2 stream) without answering. */
    public record Close() implements Step {
    }

    /** A request as the upstream saw it. */
    public record Seen(String protocol, String method, String path, HttpHeaders headers, byte[] body) {
        public String bodyText() {
            return new String(body, StandardCharsets.UTF_8);
        }
    }

    public static Step ok(String body) {
        return new Answer(200, body, Map.of(), Duration.ZERO);
    }

    public static Step status(int status) {
        return new Answer(status, "", Map.of(), Duration.ZERO);
    }

    public static Step status(int status, Map<String, String> headers) {
        return new Answer(status, "", headers, Duration.ZERO);
    }

    public static Step late(Duration delay, String body) {
        return new Answer(200, body, Map.of(), delay);
    }

    public static Step hang() {
        return new Hang();
    }

    public static Step closeConnection() {
        return new Close();
    }

    private final String name;
    private final EventLoopGroup group;
    private final Channel server;
    private final Queue<Step> script = new ArrayDeque<>();
    private volatile Step otherwise;
    private final List<Seen> seen = new ArrayList<>();
    private final Map<String, AtomicLong> byMethod = new ConcurrentHashMap<>();
    private final AtomicLong connections = new AtomicLong();

    /** An upstream answering every request {@code 200 <name>} until scripted otherwise. */
    public ScriptedUpstream(String name) {
        this.name = name;
        this.otherwise = ok(name);
        Transport transport = Transport.best();
        group = transport.newGroup(1, "scripted-" + name);
        try {
            server = new ServerBootstrap()
                    .group(group)
                    .channel(transport.serverChannel())
                    .childOption(ChannelOption.ALLOW_HALF_CLOSURE, false)
                    .childHandler(new ChannelInitializer<>() {
                        @Override
                        protected void initChannel(Channel ch) {
                            connections.incrementAndGet();
                            ch.pipeline().addLast(new PrefaceSniffer(ScriptedUpstream.this::configureHttp1,
                                    ScriptedUpstream.this::configureH2));
                        }
                    })
                    .bind(new InetSocketAddress("127.0.0.1", 0)).syncUninterruptibly().channel();
        } catch (RuntimeException e) {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            throw e;
        }
    }

    /** Queues {@code step} for the next {@code times} requests, after what is already queued. */
    public synchronized ScriptedUpstream then(Step step, int times) {
        for (int i = 0; i < times; i++) {
            script.add(step);
        }
        return this;
    }

    /** What every request does once the queue is empty. */
    public ScriptedUpstream otherwise(Step step) {
        this.otherwise = step;
        return this;
    }

    public InetSocketAddress address() {
        return (InetSocketAddress) server.localAddress();
    }

    public String name() {
        return name;
    }

    /** Requests received so far (their heads and bodies complete). */
    public synchronized int requests() {
        return seen.size();
    }

    public long requests(String method) {
        AtomicLong n = byMethod.get(method);
        return n == null ? 0 : n.get();
    }

    public synchronized List<Seen> seen() {
        return List.copyOf(seen);
    }

    public long connections() {
        return connections.get();
    }

    @Override
    public void close() {
        server.close().syncUninterruptibly();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    private synchronized Step next(Seen request) {
        seen.add(request);
        byMethod.computeIfAbsent(request.method(), m -> new AtomicLong()).incrementAndGet();
        Step step = script.poll();
        return step == null ? otherwise : step;
    }

    private void configureHttp1(ChannelHandlerContext ctx) {
        ctx.pipeline().addAfter(ctx.name(), null, new HttpServerCodec());
        ctx.pipeline().addLast(new HttpObjectAggregator(1 << 20), new Exchange("http/1.1"));
    }

    private void configureH2(ChannelHandlerContext ctx) {
        ctx.pipeline().addAfter(ctx.name(), null, Http2FrameCodecBuilder.forServer().build());
        ctx.pipeline().addLast(new Http2MultiplexHandler(new ChannelInitializer<Http2StreamChannel>() {
            @Override
            protected void initChannel(Http2StreamChannel ch) {
                ch.pipeline().addLast(new Http2StreamFrameToHttpObjectCodec(true),
                        new HttpObjectAggregator(1 << 20), new Exchange("h2"));
            }
        }));
    }

    private final class Exchange extends SimpleChannelInboundHandler<FullHttpRequest> {
        private final String protocol;

        Exchange(String protocol) {
            this.protocol = protocol;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
            String path = req.uri();
            int q = path.indexOf('?');
            Seen request = new Seen(protocol, req.method().name(), q < 0 ? path : path.substring(0, q),
                    req.headers().copy(), ByteBufUtil.getBytes(req.content()));
            Step step = next(request);
            if (step instanceof Answer a) {
                if (a.delay().isZero()) {
                    answer(ctx, a, req.protocolVersion());
                } else {
                    HttpVersion version = req.protocolVersion();
                    ctx.executor().schedule(() -> answer(ctx, a, version), a.delay().toNanos(), TimeUnit.NANOSECONDS);
                }
            } else if (step instanceof Close) {
                ctx.close();
            }
            // Hang: nothing; the request stays unanswered.
        }

        private void answer(ChannelHandlerContext ctx, Answer a, HttpVersion version) {
            if (!ctx.channel().isActive()) {
                return;
            }
            FullHttpResponse res = new DefaultFullHttpResponse(version, HttpResponseStatus.valueOf(a.status()),
                    Unpooled.copiedBuffer(a.body(), StandardCharsets.UTF_8));
            res.headers().set(HttpHeaderNames.CONTENT_LENGTH, res.content().readableBytes());
            res.headers().set("x-upstream", name);
            a.headers().forEach(res.headers()::set);
            ctx.writeAndFlush(res).addListener(ChannelFutureListener.CLOSE_ON_FAILURE);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }
}
