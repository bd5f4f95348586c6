package io.remora.proxy.http;

import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.remora.proxy.metrics.DownstreamMeters;
import io.remora.proxy.policy.Ticker;


/**
 * The clock both slowloris guards share ({@link RequestHeadTimeout} for HTTP/1.1, {@link H2HeadersTimeout} for
 * HTTP/2): one timer per connection, armed first for the deadline counted from the accept (so protocol detection
 * and the TLS handshake count too), re-armed by the subclass as request heads start, and cancelled when the
 * connection or the handler goes. What "a head is in progress" means, and what an expired clock sends, is each
 * protocol's own.
 *
 * <p>The timer runs on the channel's event loop, so the accept time is {@link System#nanoTime()}, the clock that
 * loop schedules by. The clock is a {@link Deadline} on a {@link DeadlineTimer}, as an exchange's is: a head that
 * arrives only disarms it and the next request's first byte re-arms the timer still pending, so a kept-alive
 * connection schedules about once per timeout, not a schedule and a cancel per request.
 */
abstract class HeadDeadline extends ChannelDuplexHandler {
    /** The limit for one request head; above 0. */
    protected final long timeoutNanos;
    protected final DownstreamMeters meters;
    private final long firstDeadlineNanos;
    private DeadlineTimer timer;
    private Deadline deadline;

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
        // The loop's own clock, which its scheduled tasks run by.
        Ticker ticker = ctx.executor().ticker()::nanoTime;
        timer = new DeadlineTimer(ctx.executor(), ticker);
        deadline = new Deadline(ticker, () -> {
            if (ctx.channel().isActive()) {
                expired(ctx);
            }
        });
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
        deadline.cancel();
        deadline.start(Math.max(1, delayNanos), timer);
    }

    protected final boolean armed() {
        return deadline.armed();
    }

    /** Stops the clock; the timer still pending, if any, is re-used by the next head or finds nothing armed. */
    protected final void cancel() {
        deadline.cancel();
    }

    /** The connection or the handler went: nothing fires for it any more. */
    private void stop() {
        if (timer != null) {
            deadline.cancel();
            timer.close();
        }
    }

    /** The clock ran out on a connection that is still open. */
    protected abstract void expired(ChannelHandlerContext ctx);
}
