package io.remora.proxy.testing;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpServerExpectContinueHandler;
import io.netty.handler.codec.http.HttpServerKeepAliveHandler;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamFrameToHttpObjectCodec;
import io.netty.handler.flow.FlowControlHandler;
import io.netty.util.ReferenceCountUtil;
import io.remora.proxy.Transport;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A real HTTP server for integration tests: HTTP/1.1 and h2c with prior knowledge on the same port
 * (127.0.0.1, ephemeral), streaming everything (bodies are never aggregated), with backpressure.
 *
 * <p>Routes:
 * <ul>
 *   <li>{@code /echo}: streams the request body back as it arrives, with the request's content type
 *       (chunked on HTTP/1.1);</li>
 *   <li>{@code /bytes/{n}}: {@code n} bytes of {@link #expectedBytes} (seed {@link #BYTES_SEED}) with a
 *       content-length, or chunked with {@code ?chunked=1};</li>
 *   <li>{@code /status/{code}}: that status (200..599), empty body;</li>
 *   <li>{@code /name}: the server's name as the body;</li>
 *   <li>{@code /slow/{ms}}: {@code "slow\n"} after a delay scheduled on the event loop;</li>
 *   <li>{@code /trailers}: a chunked body {@code "trailers\n"} followed by the trailer {@code x-trailer: done}
 *       (a trailing HEADERS frame on h2);</li>
 *   <li>anything else: 200 {@code "ok\n"}.</li>
 * </ul>
 * Every response carries {@code x-served-by: <name>} and {@code x-protocol: http/1.1|h2}; for each header
 * named in the request's {@code x-reflect} list (comma separated) that the request had, the response carries
 * {@code x-seen-<name>} with its value(s). {@link #lastRequest()} records the last request head seen.
 */
public final class HttpTestServer implements AutoCloseable {
    /** Seed of the {@code /bytes/{n}} body. */
    public static final long BYTES_SEED = 0x5EED_B17E5L;
    private static final int CHUNK = 16 * 1024;

    /** A request head as the server saw it. */
    public record SeenRequest(String protocol, String method, String uri, HttpHeaders headers) {
    }

    private final String name;
    private final EventLoopGroup group;
    private final Channel server;
    private final AtomicLong connections = new AtomicLong();
    private final AtomicLong requests = new AtomicLong();
    private volatile SeenRequest lastRequest;
    private final java.util.Queue<String> seenUris = new java.util.concurrent.ConcurrentLinkedQueue<>();

    public HttpTestServer() {
        this("http-test");
    }

    public HttpTestServer(String name) {
        this.name = name;
        Transport transport = Transport.best();
        group = transport.newGroup(2, "http-test-" + name);
        try {
            server = new ServerBootstrap()
                    .group(group)
                    .channel(transport.serverChannel())
                    .childHandler(new ChannelInitializer<>() {
                        @Override
                        protected void initChannel(Channel ch) {
                            connections.incrementAndGet();
                            ch.pipeline().addLast(new PrefaceSniffer(HttpTestServer.this::configureHttp1,
                                    HttpTestServer.this::configureH2));
                        }
                    })
                    .bind(new InetSocketAddress("127.0.0.1", 0)).syncUninterruptibly().channel();
        } catch (RuntimeException e) {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            throw e;
        }
    }

    /** The bytes {@code /bytes/{n}} responds with. */
    public static byte[] expectedBytes(int n) {
        return Digests.randomBytes(BYTES_SEED, n);
    }

    public String name() {
        return name;
    }

    public int port() {
        return address().getPort();
    }

    public InetSocketAddress address() {
        return (InetSocketAddress) server.localAddress();
    }

    /** TCP connections accepted so far (an h2 connection counts once, whatever its streams). */
    public long connectionCount() {
        return connections.get();
    }

    /** Requests (h1 requests plus h2 streams) whose head has been received; counted before responding. */
    public long requestCount() {
        return requests.get();
    }

    /** The target of every request head received so far, in order. */
    public java.util.List<String> seenUris() {
        return java.util.List.copyOf(seenUris);
    }

    /** The most recent request head, or null. */
    public SeenRequest lastRequest() {
        return lastRequest;
    }

    @Override
    public void close() {
        server.close().syncUninterruptibly();
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    }

    private void configureHttp1(ChannelHandlerContext ctx) {
        ctx.pipeline().addAfter(ctx.name(), null, new HttpServerCodec());
        ctx.pipeline().addLast(new HttpServerKeepAliveHandler(), new HttpServerExpectContinueHandler(),
                new FlowControlHandler(), new Exchange("http/1.1"));
    }

    private void configureH2(ChannelHandlerContext ctx) {
        ctx.pipeline().addAfter(ctx.name(), null, Http2FrameCodecBuilder.forServer().build());
        ctx.pipeline().addLast(new Http2MultiplexHandler(new ChannelInitializer<Http2StreamChannel>() {
            @Override
            protected void initChannel(Http2StreamChannel ch) {
                ch.pipeline().addLast(new Http2StreamFrameToHttpObjectCodec(true), new Exchange("h2"));
            }
        }));
    }

    private enum Route { ECHO, BYTES, STATUS, NAME, SLOW, TRAILERS, OK }

    /**
     * Serves one request at a time on a channel (an HTTP/1.1 connection or an h2 stream). On HTTP/1.1 the
     * next pipelined request is held (autoRead off, {@link FlowControlHandler}) until the response is done.
     */
    private final class Exchange extends ChannelInboundHandlerAdapter {
        private final String protocol;
        private HttpRequest request;
        private Route route;
        private boolean requestDone = true;
        private boolean responseDone = true;
        private long bytesLeft;
        private Digests.RandomStream random;

        Exchange(String protocol) {
            this.protocol = protocol;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof HttpRequest req) {
                if (req.decoderResult().isFailure()) {
                    ReferenceCountUtil.release(msg);
                    FullHttpResponse bad = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
                            HttpResponseStatus.BAD_REQUEST);
                    bad.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, 0);
                    ctx.writeAndFlush(bad).addListener(f -> ctx.close());
                    return;
                }
                onRequest(ctx, req);
            }
            if (msg instanceof HttpContent content) {
                onContent(ctx, content);
            } else if (!(msg instanceof HttpRequest)) {
                ReferenceCountUtil.release(msg);
            }
        }

        private void onRequest(ChannelHandlerContext ctx, HttpRequest req) {
            requests.incrementAndGet();
            seenUris.add(req.uri());
            lastRequest = new SeenRequest(protocol, req.method().name(), req.uri(),
                    new DefaultHttpHeaders().add(req.headers()));
            request = req;
            requestDone = false;
            responseDone = false;
            route = route(new QueryStringDecoder(req.uri()).path());
            if (route == Route.ECHO) {
                HttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
                String type = req.headers().get(HttpHeaderNames.CONTENT_TYPE);
                head.headers().set(HttpHeaderNames.CONTENT_TYPE, type != null ? type : "application/octet-stream");
                HttpUtil.setTransferEncodingChunked(head, true);
                decorate(head);
                ctx.write(head);
            }
        }

        private void onContent(ChannelHandlerContext ctx, HttpContent content) {
            boolean last = content instanceof LastHttpContent;
            if (route == Route.ECHO && !responseDone) {
                ByteBuf body = content.content(); // ownership moves to the response
                if (last) {
                    ctx.writeAndFlush(new DefaultLastHttpContent(body));
                    responseDone = true;
                } else {
                    ctx.write(new DefaultHttpContent(body));
                }
            } else {
                content.release();
            }
            if (last) {
                requestDone = true;
                if (route != Route.ECHO) {
                    respond(ctx);
                }
                updateAutoRead(ctx);
            }
        }

        private Route route(String path) {
            if (path.equals("/echo")) {
                return Route.ECHO;
            } else if (path.startsWith("/bytes/")) {
                return Route.BYTES;
            } else if (path.startsWith("/status/")) {
                return Route.STATUS;
            } else if (path.equals("/name")) {
                return Route.NAME;
            } else if (path.startsWith("/slow/")) {
                return Route.SLOW;
            } else if (path.equals("/trailers")) {
                return Route.TRAILERS;
            }
            return Route.OK;
        }

        private void respond(ChannelHandlerContext ctx) {
            QueryStringDecoder q = new QueryStringDecoder(request.uri());
            String path = q.path();
            switch (route) {
                case BYTES -> {
                    long n = parseLong(path.substring("/bytes/".length()));
                    if (n < 0) {
                        full(ctx, HttpResponseStatus.BAD_REQUEST, "bad length\n");
                        return;
                    }
                    HttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
                    head.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/octet-stream");
                    if ("1".equals(first(q, "chunked"))) {
                        HttpUtil.setTransferEncodingChunked(head, true);
                    } else {
                        HttpUtil.setContentLength(head, n);
                    }
                    decorate(head);
                    ctx.write(head);
                    bytesLeft = n;
                    random = new Digests.RandomStream(BYTES_SEED);
                    produce(ctx);
                }
                case STATUS -> {
                    long code = parseLong(path.substring("/status/".length()));
                    if (code < 200 || code > 599) {
                        full(ctx, HttpResponseStatus.BAD_REQUEST, "status must be 200..599\n");
                    } else {
                        full(ctx, HttpResponseStatus.valueOf((int) code), "");
                    }
                }
                case NAME -> full(ctx, HttpResponseStatus.OK, name);
                case SLOW -> {
                    long ms = parseLong(path.substring("/slow/".length()));
                    if (ms < 0) {
                        full(ctx, HttpResponseStatus.BAD_REQUEST, "bad delay\n");
                    } else {
                        ctx.executor().schedule(() -> full(ctx, HttpResponseStatus.OK, "slow\n"), ms,
                                TimeUnit.MILLISECONDS);
                    }
                }
                case TRAILERS -> {
                    HttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
                    head.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8");
                    head.headers().set(HttpHeaderNames.TRAILER, "x-trailer");
                    HttpUtil.setTransferEncodingChunked(head, true);
                    decorate(head);
                    ctx.write(head);
                    ctx.write(new DefaultHttpContent(Unpooled.copiedBuffer("trailers\n", StandardCharsets.UTF_8)));
                    LastHttpContent last = new DefaultLastHttpContent();
                    last.trailingHeaders().set("x-trailer", "done");
                    ctx.writeAndFlush(last);
                    responseComplete(ctx);
                }
                default -> full(ctx, HttpResponseStatus.OK, "ok\n");
            }
        }

        /** Writes /bytes chunks while the channel is writable; resumed by writability changes. */
        private void produce(ChannelHandlerContext ctx) {
            // A reset HTTP/2 stream still reports writable: stop producing once the channel is gone.
            while (bytesLeft > 0 && ctx.channel().isActive() && ctx.channel().isWritable()) {
                int len = (int) Math.min(CHUNK, bytesLeft);
                ByteBuf b = ctx.alloc().buffer(len);
                random.nextBytes(b, len);
                bytesLeft -= len;
                ctx.write(new DefaultHttpContent(b));
            }
            if (bytesLeft == 0 && random != null) {
                random = null;
                ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT);
                responseComplete(ctx);
            } else {
                ctx.flush();
            }
        }

        private void full(ChannelHandlerContext ctx, HttpResponseStatus status, String body) {
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            FullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status,
                    Unpooled.wrappedBuffer(bytes));
            if (bytes.length > 0) {
                res.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8");
            }
            HttpUtil.setContentLength(res, bytes.length);
            decorate(res);
            ctx.writeAndFlush(res);
            responseComplete(ctx);
        }

        private void decorate(HttpResponse res) {
            res.headers().set("x-served-by", name);
            res.headers().set("x-protocol", protocol);
            String reflect = request.headers().get("x-reflect");
            if (reflect != null) {
                for (String h : reflect.split(",")) {
                    String header = h.trim();
                    if (!header.isEmpty()) {
                        for (String v : request.headers().getAll(header)) {
                            res.headers().add("x-seen-" + header, v);
                        }
                    }
                }
            }
        }

        private void responseComplete(ChannelHandlerContext ctx) {
            responseDone = true;
            updateAutoRead(ctx);
        }

        /** Read while the peer keeps up, and on HTTP/1.1 not past the end of a request still being answered. */
        private void updateAutoRead(ChannelHandlerContext ctx) {
            boolean hold = requestDone && !responseDone;
            ctx.channel().config().setAutoRead(ctx.channel().isWritable() && !hold);
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            ctx.flush();
            if (!ctx.channel().isWritable()) {
                ctx.channel().config().setAutoRead(false);
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            random = null;
            bytesLeft = 0;
            ctx.fireChannelInactive();
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            if (ctx.channel().isWritable() && random != null) {
                produce(ctx);
            }
            updateAutoRead(ctx);
            ctx.fireChannelWritabilityChanged();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }

        private static String first(QueryStringDecoder q, String key) {
            List<String> v = q.parameters().get(key);
            return v == null || v.isEmpty() ? null : v.get(0);
        }

        private static long parseLong(String s) {
            try {
                return Long.parseLong(s);
            } catch (NumberFormatException e) {
                return -1;
            }
        }
    }
}
