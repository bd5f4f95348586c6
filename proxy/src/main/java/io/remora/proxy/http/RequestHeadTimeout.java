package io.remora.proxy.http;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.remora.proxy.metrics.DownstreamMeters;

import java.nio.charset.StandardCharsets;

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
public final class RequestHeadTimeout extends HeadDeadline {
    private static final byte[] RESPONSE = ("HTTP/1.1 408 Request Timeout\r\n"
            + "content-type: text/plain\r\ncontent-length: 24\r\nconnection: close\r\n"
            + "x-remora-response-flags: DPE\r\n\r\n"
            + "request headers timeout\n").getBytes(StandardCharsets.US_ASCII);

    private enum State { AWAITING_HEAD, IN_EXCHANGE, BETWEEN_REQUESTS }

    private State state = State.AWAITING_HEAD;

    /**
     * @param timeoutNanos  the limit; must be above 0
     * @param acceptedNanos {@link System#nanoTime()} when the connection was accepted
     */
    public RequestHeadTimeout(long timeoutNanos, long acceptedNanos, DownstreamMeters meters) {
        super(timeoutNanos, acceptedNanos, meters);
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
    protected void expired(ChannelHandlerContext ctx) {
        if (state != State.AWAITING_HEAD) {
            return;
        }
        meters.requestHeadersTimeout(false);
        // No response is in progress while a head is awaited, so the bytes go out whole, before the codec.
        ctx.writeAndFlush(ctx.alloc().buffer(RESPONSE.length).writeBytes(RESPONSE))
                .addListener(ChannelFutureListener.CLOSE);
    }
}
