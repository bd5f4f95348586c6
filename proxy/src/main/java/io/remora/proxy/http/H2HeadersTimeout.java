package io.remora.proxy.http;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http2.DefaultHttp2GoAwayFrame;
import io.netty.handler.codec.http2.Http2Error;
import io.remora.proxy.metrics.DownstreamMeters;

/**
 * HTTP/2 slowloris guard: the connection preface (with the client's first SETTINGS) and every header block (a
 * HEADERS frame and its CONTINUATIONs) must arrive within {@code limits.requestHeadersTimeout}, else the
 * connection gets GOAWAY {@code ENHANCE_YOUR_CALM} and closes. Only one header block can be open on a connection
 * at a time (RFC 9113 section 6.10), so one clock per connection is one clock per stream's HEADERS.
 *
 * <p>Sits before the frame codec and follows frame boundaries as bytes pass (it reads the 9-byte frame headers and
 * counts payload bytes; nothing is copied or held). The clock runs while the preface is incomplete, while a frame
 * header is partly received, and while a header block is open; it stops in between, so a quiet connection is left
 * to the idle timeout and a slow body to flow control.
 */
public final class H2HeadersTimeout extends HeadDeadline {
    private static final int PREFACE_LENGTH = 24;
    private static final int FRAME_HEADER_LENGTH = 9;
    private static final int HEADERS = 0x1;
    private static final int SETTINGS = 0x4;
    private static final int PUSH_PROMISE = 0x5;
    private static final int CONTINUATION = 0x9;
    private static final int END_HEADERS = 0x4;

    private int prefaceLeft = PREFACE_LENGTH;
    private boolean settingsDone;
    private final byte[] frameHeader = new byte[FRAME_HEADER_LENGTH];
    private int frameHeaderFill;
    private long payloadLeft;
    private int frameType;
    private boolean headerBlockOpen;
    /** A header block ended during the current read: a block still open at its end is a new one, timed afresh. */
    private boolean blockEnded;

    /**
     * @param timeoutNanos  the limit; must be above 0
     * @param acceptedNanos {@link System#nanoTime()} when the connection was accepted
     */
    public H2HeadersTimeout(long timeoutNanos, long acceptedNanos, DownstreamMeters meters) {
        super(timeoutNanos, acceptedNanos, meters);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof ByteBuf buf) {
            blockEnded = false;
            follow(buf);
            boolean timed = !settingsDone || headerBlockOpen || frameHeaderFill > 0
                    || (payloadLeft > 0 && (frameType == HEADERS || frameType == CONTINUATION
                    || frameType == PUSH_PROMISE));
            if (!timed || blockEnded) {
                cancel();
            }
            if (timed && !armed()) {
                arm(ctx, timeoutNanos);
            }
        }
        ctx.fireChannelRead(msg);
    }

    /** Advances the frame parser over {@code buf}'s readable bytes without moving its reader index. */
    private void follow(ByteBuf buf) {
        int i = buf.readerIndex();
        int end = buf.writerIndex();
        if (prefaceLeft > 0) {
            int n = Math.min(prefaceLeft, end - i);
            prefaceLeft -= n;
            i += n;
        }
        while (i < end) {
            if (payloadLeft > 0) {
                long n = Math.min(payloadLeft, end - i);
                payloadLeft -= n;
                i += (int) n;
                if (payloadLeft == 0) {
                    frameDone();
                }
                continue;
            }
            frameHeader[frameHeaderFill++] = buf.getByte(i++);
            if (frameHeaderFill == FRAME_HEADER_LENGTH) {
                frameHeaderFill = 0;
                payloadLeft = ((frameHeader[0] & 0xffL) << 16) | ((frameHeader[1] & 0xff) << 8)
                        | (frameHeader[2] & 0xff);
                frameType = frameHeader[3] & 0xff;
                if (frameType == HEADERS || frameType == PUSH_PROMISE) {
                    headerBlockOpen = true;
                }
                if (payloadLeft == 0) {
                    frameDone();
                }
            }
        }
    }

    private void frameDone() {
        int flags = frameHeader[4] & 0xff;
        if ((frameType == HEADERS || frameType == PUSH_PROMISE || frameType == CONTINUATION)
                && (flags & END_HEADERS) != 0) {
            headerBlockOpen = false;
            blockEnded = true;
        }
        if (frameType == SETTINGS && prefaceLeft == 0) {
            settingsDone = true;
        }
        frameType = -1;
    }

    @Override
    protected void expired(ChannelHandlerContext ctx) {
        meters.requestHeadersTimeout(true);
        if (!settingsDone) {
            // Not speaking HTTP/2 yet: there is nobody to send a GOAWAY to.
            ctx.close();
            return;
        }
        DefaultHttp2GoAwayFrame goAway = new DefaultHttp2GoAwayFrame(Http2Error.ENHANCE_YOUR_CALM,
                ByteBufUtil.writeAscii(ctx.alloc(), "request headers timeout"));
        ctx.channel().writeAndFlush(goAway).addListener(ChannelFutureListener.CLOSE);
    }
}
