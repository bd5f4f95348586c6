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
 * loop schedules by. As {@link DeadlineTimer} does for exchanges, a head that arrives only disarms the clock and the
 * next request's first byte re-arms the timer still pending when it does not fire later than the new deadline; one
 * that fires early is scheduled again for the time left. So a kept-alive connection schedules about once per
 * timeout, not a schedule and a cancel per request.
 */
abstract class HeadDeadline extends ChannelDuplexHandler {
    /** The limit for one request head; above 0. */
    protected final long timeoutNanos;
    protected final DownstreamMeters meters;
    private final long firstDeadlineNanos;
    private ScheduledFuture<?> timer;
    private Runnable fire;
    /** When {@link #timer} fires, on the event loop's ticker. */
    private long firesAt;
    /** The armed deadline, on the event loop's ticker; meaningful while {@link #armed}. */
    private long deadline;
    private boolean armed;

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
        fire = () -> fire(ctx);
        arm(ctx, firstDeadlineNanos - System.nanoTime());
    }

    @Override
    public final void channelInactive(ChannelHandlerContext ctx) {
        stop();
        ctx.fireChannelInactive();
    }

    @Override
    public final void handlerRemoved(ChannelHandlerContext ctx) {
        stop();
    }

    /** Starts the clock afresh: {@code delayNanos} from now (at once when not above 0). */
    protected final void arm(ChannelHandlerContext ctx, long delayNanos) {
        long now = ctx.executor().ticker().nanoTime();
        long at = now + Math.max(0, delayNanos);
        deadline = at;
        armed = true;
        if (timer == null || at - firesAt < 0) {
            cancelTimer();
            schedule(ctx, at, now);
        }
    }

    protected final boolean armed() {
        return armed;
    }

    /** Stops the clock; the pending timer, if any, finds nothing armed when it fires (or is re-used by the next). */
    protected final void cancel() {
        armed = false;
    }

    private void fire(ChannelHandlerContext ctx) {
        timer = null;
        if (!armed) {
            return;
        }
        long now = ctx.executor().ticker().nanoTime();
        if (deadline - now > 0) {
            schedule(ctx, deadline, now);
            return;
        }
        armed = false;
        if (ctx.channel().isActive()) {
            expired(ctx);
        }
    }

    private void schedule(ChannelHandlerContext ctx, long at, long now) {
        firesAt = at;
        timer = ctx.executor().schedule(fire, at - now, TimeUnit.NANOSECONDS);
    }

    /** The connection or the handler went: nothing fires for it any more. */
    private void stop() {
        armed = false;
        cancelTimer();
    }

    private void cancelTimer() {
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
    }

    /** The clock ran out on a connection that is still open. */
    protected abstract void expired(ChannelHandlerContext ctx);
}
