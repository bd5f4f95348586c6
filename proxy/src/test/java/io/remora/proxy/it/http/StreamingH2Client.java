package io.remora.proxy.it.http;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2WindowUpdateFrame;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2ResetFrame;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamChannelBootstrap;
import io.netty.handler.codec.http2.Http2StreamFrameToHttpObjectCodec;
import io.netty.util.ReferenceCountUtil;
import io.remora.proxy.Transport;
import io.remora.proxy.testing.Digests;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * An HTTP/2 cleartext (prior knowledge) client that streams: request bodies are generated from a
 * {@link Digests} seed as the stream's flow-control window allows, response bodies are digested as they
 * arrive (never held). A call can stop reading its response (no WINDOW_UPDATE goes out while it does) and
 * resume later.
 */
final class StreamingH2Client implements AutoCloseable {
    private static final int CHUNK = 16 * 1024;

    private final EventLoopGroup group;
    private final Channel connection;
    private final String authority;

    /**
     * @param streamWindow        SETTINGS_INITIAL_WINDOW_SIZE: how much the server may send per stream unread
     * @param connectionWindowAdd added to the connection window (65535 at first) once connected; 0 for none
     */
    StreamingH2Client(InetSocketAddress server, int streamWindow, int connectionWindowAdd) {
        Transport transport = Transport.best();
        group = transport.newGroup(1, "h2-streaming-client");
        authority = server.getHostString() + ":" + server.getPort();
        try {
            connection = new Bootstrap()
                    .group(group)
                    .channel(transport.socketChannel())
                    .handler(new ChannelInitializer<>() {
                        @Override
                        protected void initChannel(Channel ch) {
                            ch.pipeline().addLast(Http2FrameCodecBuilder.forClient()
                                            .initialSettings(Http2Settings.defaultSettings().pushEnabled(false)
                                                    .initialWindowSize(streamWindow))
                                            .build(),
                                    new Http2MultiplexHandler(new ChannelInboundHandlerAdapter() {
                                        @Override
                                        public void channelRead(ChannelHandlerContext ctx, Object msg) {
                                            ReferenceCountUtil.release(msg); // no pushed streams expected
                                        }
                                    }));
                        }
                    })
                    .connect(server).syncUninterruptibly().channel();
            if (connectionWindowAdd > 0) {
                connection.writeAndFlush(new DefaultHttp2WindowUpdateFrame(connectionWindowAdd)).syncUninterruptibly();
            }
        } catch (RuntimeException e) {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            throw e;
        }
    }

    /** A large-window client for bulk transfers. */
    StreamingH2Client(InetSocketAddress server) {
        this(server, 1024 * 1024, 16 * 1024 * 1024);
    }

    /** A request body: {@code length} bytes of seed {@code seed}, announced by content-length or not. */
    record Body(long seed, long length, boolean declareLength) {
    }

    /**
     * What arrived: status, head (as HTTP/1.1 headers, after Netty's conversion), the HTTP/2 response header
     * block exactly as received, body size and SHA-256, trailers (empty when there were none).
     */
    record Result(int status, HttpHeaders headers, Http2Headers rawHeaders, long bodyBytes, String sha256,
                  HttpHeaders trailers) {
    }

    Call start(HttpMethod method, String path, Map<String, String> headers, Body body) {
        return start(method, path, headers, body, -1);
    }

    /**
     * Opens a stream and sends the request.
     *
     * @param pauseAfter stop reading the response once this many body bytes arrived (-1: never); see
     *                   {@link Call#resume()}
     */
    Call start(HttpMethod method, String path, Map<String, String> headers, Body body, long pauseAfter) {
        Call call = new Call(body, pauseAfter);
        HttpRequest req;
        if (body == null || body.length() == 0) {
            req = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, method, path, Unpooled.EMPTY_BUFFER);
            if (body != null && body.declareLength()) {
                HttpUtil.setContentLength(req, 0);
            }
        } else {
            req = new DefaultHttpRequest(HttpVersion.HTTP_1_1, method, path);
            if (body.declareLength()) {
                HttpUtil.setContentLength(req, body.length());
            }
        }
        req.headers().set(HttpHeaderNames.HOST, authority);
        headers.forEach((k, v) -> req.headers().set(k, v));
        new Http2StreamChannelBootstrap(connection)
                .handler(new ChannelInitializer<Http2StreamChannel>() {
                    @Override
                    protected void initChannel(Http2StreamChannel ch) {
                        ch.pipeline().addLast(call.tap, new Http2StreamFrameToHttpObjectCodec(false), call.handler);
                    }
                })
                .open()
                .addListener(f -> {
                    if (!f.isSuccess()) {
                        call.done.completeExceptionally(f.cause());
                        return;
                    }
                    Http2StreamChannel stream = (Http2StreamChannel) f.getNow();
                    call.stream = stream;
                    stream.write(req);
                    if (req instanceof LastHttpContent) {
                        stream.flush();
                    } else {
                        call.pump();
                    }
                });
        return call;
    }

    /** One request/response on its own stream. */
    final class Call {
        final CompletableFuture<HttpResponse> head = new CompletableFuture<>();
        final CompletableFuture<Result> done = new CompletableFuture<>();
        private final AtomicLong received = new AtomicLong();
        private final AtomicLong sent = new AtomicLong();
        private final long pauseAfter;
        private final Handler handler = new Handler();
        private final Tap tap = new Tap();
        private volatile Http2Headers rawHeaders;
        private volatile Http2StreamChannel stream;
        private Digests.RandomStream random;
        private long left;
        private boolean ended;

        Call(Body body, long pauseAfter) {
            this.pauseAfter = pauseAfter;
            if (body != null && body.length() > 0) {
                random = new Digests.RandomStream(body.seed());
                left = body.length();
            } else {
                ended = true;
            }
        }

        /** Response body bytes received so far. */
        long received() {
            return received.get();
        }

        /** Request body bytes handed to the stream so far (the stream's window lets them through). */
        long sent() {
            return sent.get();
        }

        /** Cancels the call: the stream is closed, which resets it (RST_STREAM CANCEL) if still open. */
        void cancel() {
            Http2StreamChannel s = stream;
            if (s != null) {
                s.close().syncUninterruptibly();
            }
        }

        /** Starts reading again after a pause. */
        void resume() {
            Http2StreamChannel s = stream;
            s.eventLoop().execute(() -> s.config().setAutoRead(true));
        }

        Result await(Duration timeout) throws IOException {
            try {
                return done.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted", e);
            } catch (ExecutionException e) {
                throw new IOException("h2 call failed: " + e.getCause(), e.getCause());
            } catch (TimeoutException e) {
                Http2StreamChannel s = stream;
                if (s != null) {
                    s.close();
                }
                throw new IOException("h2 call timed out after " + timeout + " with " + received() + " bytes");
            }
        }

        /** Writes request body parts while the stream's window allows; called again on writability. */
        private void pump() {
            Http2StreamChannel s = stream;
            while (!ended && left > 0 && s.isWritable()) {
                int len = (int) Math.min(CHUNK, left);
                ByteBuf b = s.alloc().buffer(len);
                random.nextBytes(b, len);
                left -= len;
                s.write(new DefaultHttpContent(b)).addListener(f -> {
                    if (f.isSuccess()) {
                        sent.addAndGet(len);
                    }
                });
            }
            if (!ended && left == 0) {
                ended = true;
                s.write(LastHttpContent.EMPTY_LAST_CONTENT);
            }
            s.flush();
        }

        /** Keeps the first non-informational header block as it came off the wire. */
        private final class Tap extends ChannelInboundHandlerAdapter {
            @Override
            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                if (rawHeaders == null && msg instanceof Http2HeadersFrame h) {
                    CharSequence status = h.headers().status();
                    if (status == null || status.length() == 0 || status.charAt(0) != '1') {
                        rawHeaders = new DefaultHttp2Headers(false).add(h.headers());
                    }
                }
                ctx.fireChannelRead(msg);
            }
        }

        private final class Handler extends ChannelInboundHandlerAdapter {
            private final MessageDigest md = Digests.sha256();
            private HttpResponse response;
            private boolean paused;

            @Override
            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                try {
                    if (msg instanceof Http2ResetFrame reset) {
                        done.completeExceptionally(new IOException("stream reset by the server, error "
                                + reset.errorCode()));
                        head.completeExceptionally(new IOException("stream reset by the server"));
                        return;
                    }
                    if (msg instanceof HttpResponse res) {
                        if (res.status().code() >= 100 && res.status().code() < 200) {
                            return;
                        }
                        response = res;
                        head.complete(res);
                    }
                    if (msg instanceof HttpContent c) {
                        ByteBuf content = c.content();
                        for (ByteBuffer nio : content.nioBuffers()) {
                            md.update(nio);
                        }
                        long total = received.addAndGet(content.readableBytes());
                        if (!paused && pauseAfter >= 0 && total >= pauseAfter) {
                            paused = true; // once: resume() turns reading back on for good
                            ctx.channel().config().setAutoRead(false);
                        }
                        if (msg instanceof LastHttpContent last && response != null) {
                            done.complete(new Result(response.status().code(),
                                    new DefaultHttpHeaders().add(response.headers()), rawHeaders, total,
                                    HexFormat.of().formatHex(md.digest()),
                                    new DefaultHttpHeaders().add(last.trailingHeaders())));
                        }
                    }
                } finally {
                    ReferenceCountUtil.release(msg);
                }
            }

            @Override
            public void channelWritabilityChanged(ChannelHandlerContext ctx) {
                if (ctx.channel().isWritable()) {
                    pump();
                }
                ctx.fireChannelWritabilityChanged();
            }

            @Override
            public void channelInactive(ChannelHandlerContext ctx) {
                IOException e = new IOException("stream closed before the response ended",
                        new ClosedChannelException());
                head.completeExceptionally(e);
                done.completeExceptionally(e);
            }

            @Override
            public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                head.completeExceptionally(cause);
                done.completeExceptionally(cause);
                ctx.close();
            }
        }
    }

    @Override
    public void close() {
        connection.close().syncUninterruptibly();
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    }
}
