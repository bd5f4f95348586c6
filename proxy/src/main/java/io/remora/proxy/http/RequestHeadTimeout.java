package io.remora.proxy.http;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.util.concurrent.ScheduledFuture;
import io.remora.proxy.metrics.DownstreamMeters;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/**
 * HTTP/1.1 slowloris guard (Envoy's {@code request_headers_timeout}): the whole request head must arrive within the
 * limit, else the client gets 408 and the connection closes. The idle timeout cannot do this, since every trickled
 * byte resets it. Sits before the codec, so it sees bytes arrive; {@link DownstreamHttpHandler} tells it when a head
 * was decoded and when the exchange ended.
 *
 * <p>The clock runs for the first request from the connection's accept (detection time included), and for each later
 * request from its first byte, so an idle kept-alive connection is left to the idle timeout. While an exchange runs,
 * bytes are its body and are not timed.
 */
public final class RequestHeadTimeout extends ChannelDuplexHandler {
    private static final byte[] RESPONSE = ("HTTP/1.1 408 Request Timeout\r\n"
            + "content-type: text/plain\r\ncontent-length: 24\r\nconnection: close\r\n"
            + "x-remora-response-flags: DPE\r\n\r\n"
            + "request headers timeout\n").getBytes(StandardCharsets.US_ASCII);

    private enum State { AWAITING_HEAD, IN_EXCHANGE, BETWEEN_REQUESTS }

    private final long timeoutNanos;
    private final long firstDeadlineNanos;
    private final DownstreamMeters meters;
    private State state = State.AWAITING_HEAD;
    private ScheduledFuture<?> timer;

    /**
     * @param timeoutNanos  the limit; must be above 0
     * @param acceptedNanos {@link System#nanoTime()} when the connection was accepted
     */
    public RequestHeadTimeout(long timeoutNanos, long acceptedNanos, DownstreamMeters meters) {
        this.timeoutNanos = timeoutNanos;
        this.firstDeadlineNanos = acceptedNanos + timeoutNanos;
        this.meters = meters;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        arm(ctx, firstDeadlineNanos - System.nanoTime());
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (state == State.BETWEEN_REQUESTS && msg instanceof ByteBuf buf && buf.isReadable()) {
            state = State.AWAITING_HEAD;
            arm(ctx, timeoutNanos);
        }
        ctx.fireChannelRead(msg);
    }

    /** A request head was decoded: the rest is body, timed by others. */
    void headReceived() {
        state = State.IN_EXCHANGE;
        cancel();
    }

    /** The exchange ended and the connection stays: the next request's clock starts with its first byte. */
    void exchangeFinished() {
        state = State.BETWEEN_REQUESTS;
        cancel();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        cancel();
        ctx.fireChannelInactive();
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        cancel();
    }

    private void arm(ChannelHandlerContext ctx, long delayNanos) {
        cancel();
        timer = ctx.executor().schedule(() -> expired(ctx), Math.max(0, delayNanos), TimeUnit.NANOSECONDS);
    }

    private void expired(ChannelHandlerContext ctx) {
        timer = null;
        if (state != State.AWAITING_HEAD || !ctx.channel().isActive()) {
            return;
        }
        meters.requestHeadersTimeout(false);
        // No response is in progress while a head is awaited, so the bytes go out whole, before the codec.
        ctx.writeAndFlush(ctx.alloc().buffer(RESPONSE.length).writeBytes(RESPONSE))
                .addListener(ChannelFutureListener.CLOSE);
    }

    private void cancel() {
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
    }
}
