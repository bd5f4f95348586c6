package io.remora.proxy.http;

import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.util.concurrent.ScheduledFuture;
import io.remora.proxy.metrics.DownstreamMeters;

import java.util.concurrent.TimeUnit;

/**
 * The clock both slowloris guards share ({@link RequestHeadTimeout} for HTTP/1.1, {@link H2HeadersTimeout} for
 * HTTP/2): one timer per connection, armed first for the deadline counted from the accept (so protocol detection
 * and the TLS handshake count too), re-armed by the subclass as request heads start, and cancelled when the
 * connection or the handler goes. What "a head is in progress" means, and what an expired clock sends, is each
 * protocol's own.
 *
 * <p>The timer runs on the channel's event loop, so the accept time is {@link System#nanoTime()}, the clock that
 * loop schedules by.
 */
abstract class HeadDeadline extends ChannelDuplexHandler {
    /** The limit for one request head; above 0. */
    protected final long timeoutNanos;
    protected final DownstreamMeters meters;
    private final long firstDeadlineNanos;
    private ScheduledFuture<?> timer;

    /**
     * @param timeoutNanos  the limit; must be above 0
     * @param acceptedNanos {@link System#nanoTime()} when the connection was accepted
     */
    HeadDeadline(long timeoutNanos, long acceptedNanos, DownstreamMeters meters) {
        this.timeoutNanos = timeoutNanos;
        this.firstDeadlineNanos = acceptedNanos + timeoutNanos;
        this.meters = meters;
    }

    @Override
    public final void handlerAdded(ChannelHandlerContext ctx) {
        arm(ctx, firstDeadlineNanos - System.nanoTime());
    }

    @Override
    public final void channelInactive(ChannelHandlerContext ctx) {
        cancel();
        ctx.fireChannelInactive();
    }

    @Override
    public final void handlerRemoved(ChannelHandlerContext ctx) {
        cancel();
    }

    /** Starts the clock afresh: {@code delayNanos} from now (at once when not above 0). */
    protected final void arm(ChannelHandlerContext ctx, long delayNanos) {
        cancel();
        timer = ctx.executor().schedule(() -> {
            timer = null;
            if (ctx.channel().isActive()) {
                expired(ctx);
            }
        }, Math.max(0, delayNanos), TimeUnit.NANOSECONDS);
    }

    protected final boolean armed() {
        return timer != null;
    }

    protected final void cancel() {
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
    }

    /** The clock ran out on a connection that is still open. */
    protected abstract void expired(ChannelHandlerContext ctx);
}
