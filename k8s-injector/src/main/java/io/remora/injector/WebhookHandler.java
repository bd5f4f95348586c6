package io.remora.injector;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.timeout.IdleStateEvent;
import io.remora.log.Log;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;

/**
 * One webhook connection: collects a request body (up to the limit; the rest of a larger one is read and dropped, and its
 * answer takes the uid from the first bytes so the connection stays usable), reviews it on the review executor (never
 * on the event loop), and writes the AdmissionReview. Reading pauses while a review runs, so answers keep request
 * order. Every request to {@code /inject}, whatever its method or body, gets a 200 with an AdmissionReview.
 */
final class WebhookHandler extends SimpleChannelInboundHandler<HttpObject> {
    static final String PATH = "/inject";

    private final Injector injector;
    private final Executor reviews;
    private final InjectorMetrics metrics;
    private final int limit;
    private ByteArrayOutputStream body;
    private long size;
    private boolean keepAlive;
    private String path;

    WebhookHandler(Injector injector, Executor reviews, InjectorMetrics metrics, int limit) {
        this.injector = injector;
        this.reviews = reviews;
        this.metrics = metrics;
        this.limit = limit;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, HttpObject msg) {
        if (msg instanceof HttpRequest request) {
            if (request.decoderResult().isFailure()) {
                write(ctx, HttpResponseStatus.BAD_REQUEST, "text/plain; charset=utf-8",
                        "malformed HTTP request\n".getBytes(StandardCharsets.UTF_8), false);
                return;
            }
            path = new QueryStringDecoder(request.uri()).path();
            keepAlive = HttpUtil.isKeepAlive(request);
            body = new ByteArrayOutputStream(1024);
            size = 0;
        }
        if (msg instanceof HttpContent content && body != null) {
            ByteBuf b = content.content();
            int n = b.readableBytes();
            int keep = Math.min(n, limit - body.size());
            if (keep > 0) {
                byte[] chunk = new byte[keep];
                b.readBytes(chunk);
                body.write(chunk, 0, keep);
            }
            size += n;
            if (msg instanceof LastHttpContent) {
                finish(ctx);
            }
        }
    }

    private void finish(ChannelHandlerContext ctx) {
        byte[] bytes = body.toByteArray();
        long total = size;
        body = null;
        if (!PATH.equals(path)) {
            write(ctx, HttpResponseStatus.NOT_FOUND, "text/plain; charset=utf-8",
                    ("no " + path + " here; admission reviews go to " + PATH + "\n").getBytes(StandardCharsets.UTF_8),
                    keepAlive);
            return;
        }
        boolean keep = keepAlive;
        long start = System.nanoTime();
        ctx.channel().config().setAutoRead(false);
        try {
            reviews.execute(() -> {
                AdmissionReviews.Answer a = total > limit ? AdmissionReviews.tooLarge(bytes, total, limit)
                        : AdmissionReviews.review(bytes, injector);
                answered(ctx, a, start, keep);
            });
        } catch (RejectedExecutionException e) {
            answered(ctx, AdmissionReviews.overloaded(bytes), start, keep);
        }
    }

    private void answered(ChannelHandlerContext ctx, AdmissionReviews.Answer a, long start, boolean keep) {
        metrics.request(a.result(), System.nanoTime() - start);
        Log.info("admission_review", "uid", a.uid(), "result", a.result(), "reason", a.reason());
        ctx.channel().eventLoop().execute(() -> {
            write(ctx, HttpResponseStatus.OK, "application/json", a.body(), keep);
            ctx.channel().config().setAutoRead(true);
        });
    }

    private static void write(ChannelHandlerContext ctx, HttpResponseStatus status, String type, byte[] bytes,
                              boolean keepAlive) {
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status,
                Unpooled.wrappedBuffer(bytes));
        response.headers().set(HttpHeaderNames.CONTENT_TYPE, type)
                .setInt(HttpHeaderNames.CONTENT_LENGTH, bytes.length);
        if (keepAlive) {
            response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
            ctx.writeAndFlush(response);
        } else {
            response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
            ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
        }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        if (evt instanceof IdleStateEvent) {
            ctx.close();
            return;
        }
        super.userEventTriggered(ctx, evt);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        // TLS handshake failures and resets: the peer is gone or not an API server; one line, no stack trace.
        Log.debug("webhook_connection_error", "peer", String.valueOf(ctx.channel().remoteAddress()),
                "error", String.valueOf(cause));
        ctx.close();
    }
}
