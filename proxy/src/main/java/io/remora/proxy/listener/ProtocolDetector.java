package io.remora.proxy.listener;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.concurrent.ScheduledFuture;
import io.remora.proxy.http.DownstreamHttpHandler;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;

/**
 * Peeks at the first bytes of a connection, without consuming them, to tell HTTP/1.x, HTTP/2 prior
 * knowledge, TLS and opaque TCP apart. It waits only while the bytes so far are a prefix of something it
 * knows; a client that sends nothing within the timeout is taken as a server-first protocol. Then it
 * hands over: the installer adds the next handlers and this handler leaves, passing on every byte read.
 */
public final class ProtocolDetector extends ByteToMessageDecoder {
    private static final byte[] H2_PREFACE = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
    private static final byte[][] METHODS = methods("GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS",
            "TRACE", "PATCH", "PROPFIND", "PROPPATCH", "MKCOL", "COPY", "MOVE", "LOCK", "UNLOCK", "PURGE");

    private final long timeoutMillis;
    private final BiConsumer<ChannelHandlerContext, Detected> installer;
    private ScheduledFuture<?> timeout;
    private boolean done;

    /**
     * @param timeoutMillis how long a silent client is waited for before the connection is taken as opaque
     * @param installer     adds the handlers for what was detected; called once, on the event loop
     */
    public ProtocolDetector(long timeoutMillis, BiConsumer<ChannelHandlerContext, Detected> installer) {
        this.timeoutMillis = timeoutMillis;
        this.installer = installer;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        if (timeoutMillis > 0) {
            timeout = ctx.executor().schedule(() -> {
                if (!done && ctx.channel().isActive()) {
                    handOver(ctx, Detected.OPAQUE);
                }
            }, timeoutMillis, TimeUnit.MILLISECONDS);
        }
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        if (done) {
            return;
        }
        Detected d = detect(in);
        if (d != null) {
            handOver(ctx, d);
        }
    }

    private void handOver(ChannelHandlerContext ctx, Detected d) {
        done = true;
        if (timeout != null) {
            timeout.cancel(false);
        }
        installer.accept(ctx, d);
        if (ctx.pipeline().context(this) != null) {
            ctx.pipeline().remove(this);
        }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        if (evt == DownstreamHttpHandler.DRAIN && !done && actualReadableBytes() == 0) {
            // Nothing received yet: the connection is idle, so a drain closes it now rather than waiting.
            done = true;
            ctx.close();
            return;
        }
        super.userEventTriggered(ctx, evt);
    }

    @Override
    protected void handlerRemoved0(ChannelHandlerContext ctx) {
        if (timeout != null) {
            timeout.cancel(false);
        }
    }

    /** What {@code in} starts with, or null while more bytes are needed to tell. Reads nothing. */
    static Detected detect(ByteBuf in) {
        int n = in.readableBytes();
        if (n == 0) {
            return null;
        }
        int start = in.readerIndex();
        byte first = in.getByte(start);
        if (first == 0x16) {
            if (n < 5) {
                return null;
            }
            return SslHandler.isEncrypted(in, false) ? Detected.TLS : Detected.OPAQUE;
        }
        int preface = prefixMatch(in, H2_PREFACE);
        if (preface == H2_PREFACE.length) {
            return Detected.H2C;
        }
        if (preface == n) {
            return null;
        }
        boolean maybe = false;
        for (byte[] m : METHODS) {
            int k = prefixMatch(in, m);
            if (k == m.length) {
                return Detected.HTTP1;
            }
            if (k == n) {
                maybe = true;
            }
        }
        return maybe ? null : Detected.OPAQUE;
    }

    /** How many leading bytes of {@code in} equal the start of {@code expected}; n when all n so far match. */
    private static int prefixMatch(ByteBuf in, byte[] expected) {
        int n = Math.min(in.readableBytes(), expected.length);
        int start = in.readerIndex();
        for (int i = 0; i < n; i++) {
            if (in.getByte(start + i) != expected[i]) {
                return -1;
            }
        }
        return n;
    }

    private static byte[][] methods(String... names) {
        byte[][] out = new byte[names.length][];
        for (int i = 0; i < names.length; i++) {
            out[i] = (names[i] + " ").getBytes(StandardCharsets.US_ASCII);
        }
        return out;
    }
}
