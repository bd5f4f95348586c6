package io.remora.proxy.tcp;

import io.remora.certs.SpiffeId;
import io.remora.proxy.tls.UpstreamTls;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.DuplexChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.util.ReferenceCountUtil;
import io.remora.proxy.net.Backpressure;
import io.remora.proxy.net.EpollHalfClosure;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Objects;

/**
 * Opaque TCP proxying: splices the bytes of an accepted (downstream) connection to a new upstream connection
 * and back, with backpressure both ways and TCP half-close carried across.
 *
 * <ul>
 *   <li>The upstream channel is created on the downstream's event loop, so both halves of the pair are only
 *       ever touched by one thread and autoRead toggling needs no synchronisation.</li>
 *   <li>Downstream autoRead is off until the upstream connects; bytes already read (for example by protocol
 *       detection, which forwards its cumulation when it removes itself) are queued and written on connect,
 *       or released if the connect fails.</li>
 *   <li>Backpressure: a side stops reading as soon as the other side's outbound buffer passes the high water
 *       mark (64 KiB) and resumes when it drains below the low one (32 KiB), so the proxy holds at most about
 *       one water mark plus one read buffer per direction.</li>
 *   <li>Half-close: when one side shuts down its output (FIN), the other side's output is shut down once the
 *       bytes already queued for it are written; the pair is closed when both directions have finished, at
 *       once on an error, and after flushing what is queued when one side closes completely. Both channels
 *       get {@link EpollHalfClosure} so epoll does not lose writes to a half-closed socket.</li>
 * </ul>
 */
public final class TcpRelay {

    /** Name of the handler {@link #start} adds at the end of the downstream pipeline. */
    public static final String HANDLER_NAME = "tcp-relay";

    /** Write buffer water marks used on both channels. */
    public static final WriteBufferWaterMark WATER_MARK = Backpressure.WATER_MARK;

    /** Outcome of one relayed connection, for metrics and logs. Called on the downstream's event loop. */
    public interface Listener {
        /** The upstream connection is established; bytes start to flow. */
        void connected(InetSocketAddress upstream);

        /** The upstream channel, once connected (before {@link #connected}): for the proxy's own-connection set. */
        default void upstreamChannel(Channel upstream) {
        }

        /** The upstream connection could not be made; the downstream has been closed. Nothing else follows. */
        void connectFailed(Throwable cause);

        /**
         * Both channels are closed (after {@link #connected}, or when the downstream went away while the
         * upstream was still connecting). Byte counts are what each side sent to the proxy.
         */
        void closed(long bytesFromDownstream, long bytesFromUpstream);
    }

    private TcpRelay() {
    }

    /**
     * Starts relaying {@code downstream} to {@code upstream}. Must be called on the downstream's event loop;
     * adds the handler {@value #HANDLER_NAME} at the end of the downstream pipeline, which must receive the
     * connection's bytes as {@link ByteBuf}s from then on.
     *
     * @param upstream       a resolved address (no name resolution happens here)
     * @param connectTimeout connect timeout; zero means none
     * @param channelClass   the socket channel class matching the downstream's transport
     */
    public static void start(Channel downstream, InetSocketAddress upstream, Duration connectTimeout,
                             Class<? extends SocketChannel> channelClass, Listener listener) {
        start(downstream, upstream, connectTimeout, channelClass, null, listener);
    }

    /** mTLS to the upstream, which must prove to be {@code identity}. */
    public record Secure(UpstreamTls tls, SpiffeId identity) {
    }

    /**
     * Like {@link #start(Channel, InetSocketAddress, Duration, Class, Listener)}, originating mTLS when
     * {@code secure} is not null: the relay counts as connected once the peer's identity is verified.
     */
    public static void start(Channel downstream, InetSocketAddress upstream, Duration connectTimeout,
                             Class<? extends SocketChannel> channelClass, Secure secure, Listener listener) {
        start(downstream, upstream, null, connectTimeout, channelClass, secure, listener);
    }

    /** Like the others, connecting from {@code source} when it is not null (the inbound passthrough address). */
    public static void start(Channel downstream, InetSocketAddress upstream, InetSocketAddress source,
                             Duration connectTimeout, Class<? extends SocketChannel> channelClass, Secure secure,
                             Listener listener) {
        Objects.requireNonNull(downstream, "downstream");
        Objects.requireNonNull(upstream, "upstream");
        Objects.requireNonNull(connectTimeout, "connectTimeout");
        Objects.requireNonNull(channelClass, "channelClass");
        Objects.requireNonNull(listener, "listener");
        if (!downstream.eventLoop().inEventLoop()) {
            throw new IllegalStateException("TcpRelay.start must run on the downstream channel's event loop");
        }
        new Relay(downstream, upstream, source, secure, listener).start(connectTimeout, channelClass);
    }

    private enum State { CONNECTING, CONNECTED, FAILED, ABORTED }

    /** One relayed connection pair. Every method runs on the shared event loop. */
    private static final class Relay {
        private final Channel down;
        private final InetSocketAddress target;
        private final InetSocketAddress source;
        private final Secure secure;
        private final Listener listener;
        private final ArrayDeque<ByteBuf> queued = new ArrayDeque<>(4);
        private Channel up;
        private State state = State.CONNECTING;
        private boolean downInputDone;
        private boolean upInputDone;
        private boolean downOutputDone;
        private boolean upOutputDone;
        private boolean reported;
        private long fromDown;
        private long fromUp;

        Relay(Channel down, InetSocketAddress target, InetSocketAddress source, Secure secure, Listener listener) {
            this.down = down;
            this.target = target;
            this.source = source;
            this.secure = secure;
            this.listener = listener;
        }

        void start(Duration connectTimeout, Class<? extends SocketChannel> channelClass) {
            down.config().setAutoRead(false);
            down.config().setOption(ChannelOption.ALLOW_HALF_CLOSURE, true);
            down.config().setWriteBufferWaterMark(WATER_MARK);
            EpollHalfClosure.apply(down);
            if (down instanceof DuplexChannel d && d.isInputShutdown()) {
                downInputDone = true; // FIN arrived during protocol detection
            }
            down.pipeline().addLast(HANDLER_NAME, new DownstreamHandler());
            if (!down.isActive()) {
                // The downstream closed before the relay was installed: nothing to connect for.
                state = State.ABORTED;
                down.closeFuture().addListener(f -> maybeReportClosed());
                return;
            }

            long ms = connectTimeout.toMillis();
            Bootstrap b = new Bootstrap()
                    .group(down.eventLoop())
                    .channel(channelClass)
                    .disableResolver()
                    .option(ChannelOption.ALLOCATOR, down.alloc())
                    .option(ChannelOption.TCP_NODELAY, true)
                    .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.max(0, Math.min(ms, Integer.MAX_VALUE)))
                    .option(ChannelOption.WRITE_BUFFER_WATER_MARK, WATER_MARK)
                    .option(ChannelOption.ALLOW_HALF_CLOSURE, true)
                    .option(ChannelOption.AUTO_READ, false)
                    .handler(new UpstreamHandler());
            ChannelFuture connect = source == null ? b.connect(target) : b.connect(target, source);
            up = connect.channel();
            if (secure == null) {
                connect.addListener((ChannelFutureListener) this::onConnect);
            } else {
                // SslHandler reads by itself during the handshake, autoRead off or not.
                secure.tls().install(up.pipeline(), target, null);
                connect.addListener((ChannelFutureListener) f -> {
                    if (!f.isSuccess()) {
                        onConnect(f);
                        return;
                    }
                    secure.tls().verified(up, secure.identity()).addListener(v -> onConnect(v.isSuccess()
                            ? f : up.newFailedFuture(v.cause())));
                });
            }
            up.closeFuture().addListener(f -> maybeReportClosed());
            down.closeFuture().addListener(f -> maybeReportClosed());
        }

        private void onConnect(ChannelFuture f) {
            if (!f.isSuccess()) {
                up.close();
                if (state == State.CONNECTING) {
                    state = State.FAILED;
                    releaseQueued();
                    down.close();
                    listener.connectFailed(f.cause());
                }
                return;
            }
            if (state != State.CONNECTING) {
                up.close();
                return;
            }
            state = State.CONNECTED;
            EpollHalfClosure.apply(up);
            listener.upstreamChannel(up);
            listener.connected(target);
            if (!down.isActive()) {
                releaseQueued();
                up.close();
                return;
            }
            ByteBuf b;
            while ((b = queued.poll()) != null) {
                up.write(b, up.voidPromise());
            }
            if (downInputDone) {
                shutdownOutputAfterWrites(up, true);
            } else {
                up.flush();
                down.config().setAutoRead(up.isWritable());
            }
            up.config().setAutoRead(down.isWritable());
        }

        /** The downstream closed before the upstream connected: stop connecting. */
        private void abort() {
            if (state == State.CONNECTING) {
                state = State.ABORTED;
                releaseQueued();
                up.close();
            }
        }

        private void releaseQueued() {
            ByteBuf b;
            while ((b = queued.poll()) != null) {
                b.release();
            }
        }

        /** Forward one read from {@code from} to {@code to}; stop reading as soon as {@code to} is saturated. */
        private void forward(Channel from, Channel to, ByteBuf buf) {
            if (to.isActive()) {
                to.write(buf, to.voidPromise());
                if (!to.isWritable()) {
                    // Stop reading before flushing: if the flush drains the buffer, the writability event
                    // it fires turns reading back on; the other order would leave reading off for good.
                    from.config().setAutoRead(false);
                    to.flush();
                }
            } else {
                buf.release();
            }
        }

        private void readComplete(Channel from, Channel to) {
            to.flush();
            if (!to.isWritable()) {
                from.config().setAutoRead(false);
            }
        }

        /**
         * Shuts down {@code target}'s output once everything queued for it has been written: shutting down
         * with writes pending would fail them.
         */
        private void shutdownOutputAfterWrites(Channel target, boolean isUp) {
            target.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener((ChannelFutureListener) wf -> {
                if (!wf.isSuccess() || !(target instanceof DuplexChannel duplex)) {
                    closeBoth();
                    return;
                }
                duplex.shutdownOutput().addListener((ChannelFutureListener) sf -> {
                    if (!sf.isSuccess()) {
                        closeBoth();
                        return;
                    }
                    if (isUp) {
                        upOutputDone = true;
                    } else {
                        downOutputDone = true;
                    }
                    if (upOutputDone && downOutputDone) {
                        closeBoth(); // both directions finished
                    }
                });
            });
        }

        /** Writes out what is queued for {@code ch}, then closes it. */
        private static void closeAfterFlush(Channel ch) {
            if (ch.isActive()) {
                ch.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
            } else {
                ch.close();
            }
        }

        private void closeBoth() {
            down.close();
            if (up != null) {
                up.close();
            }
        }

        private void maybeReportClosed() {
            if (reported || state == State.FAILED || down.isOpen() || (up != null && up.isOpen())) {
                return;
            }
            reported = true;
            listener.closed(fromDown, fromUp);
        }

        private final class DownstreamHandler extends ChannelInboundHandlerAdapter {
            @Override
            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                if (!(msg instanceof ByteBuf buf)) {
                    ReferenceCountUtil.release(msg);
                    return;
                }
                int n = buf.readableBytes();
                fromDown += n;
                if (n == 0) {
                    buf.release();
                } else if (state == State.CONNECTING) {
                    queued.add(buf);
                } else if (state == State.CONNECTED) {
                    forward(down, up, buf);
                } else {
                    buf.release();
                }
            }

            @Override
            public void channelReadComplete(ChannelHandlerContext ctx) {
                if (state == State.CONNECTED) {
                    readComplete(down, up);
                }
            }

            @Override
            public void channelWritabilityChanged(ChannelHandlerContext ctx) {
                if (state == State.CONNECTED && !upInputDone) {
                    up.config().setAutoRead(down.isWritable());
                }
                ctx.fireChannelWritabilityChanged();
            }

            @Override
            public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
                if (evt instanceof ChannelInputShutdownEvent) {
                    if (!downInputDone) {
                        downInputDone = true;
                        if (state == State.CONNECTED) {
                            shutdownOutputAfterWrites(up, true);
                        }
                    }
                    return;
                }
                ctx.fireUserEventTriggered(evt);
            }

            @Override
            public void channelInactive(ChannelHandlerContext ctx) {
                if (state == State.CONNECTING) {
                    abort();
                } else if (state == State.CONNECTED) {
                    closeAfterFlush(up);
                }
                ctx.fireChannelInactive();
            }

            @Override
            public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                if (state == State.CONNECTING) {
                    abort();
                }
                closeBoth();
            }

            @Override
            public void handlerRemoved(ChannelHandlerContext ctx) {
                abort(); // only acts while connecting: nothing would forward the queued bytes any more
            }
        }

        private final class UpstreamHandler extends ChannelInboundHandlerAdapter {
            @Override
            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                if (!(msg instanceof ByteBuf buf)) {
                    ReferenceCountUtil.release(msg);
                    return;
                }
                int n = buf.readableBytes();
                fromUp += n;
                if (n == 0) {
                    buf.release();
                } else {
                    forward(up, down, buf);
                }
            }

            @Override
            public void channelReadComplete(ChannelHandlerContext ctx) {
                readComplete(up, down);
            }

            @Override
            public void channelWritabilityChanged(ChannelHandlerContext ctx) {
                if (state == State.CONNECTED && !downInputDone) {
                    down.config().setAutoRead(up.isWritable());
                }
                ctx.fireChannelWritabilityChanged();
            }

            @Override
            public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
                if (evt instanceof ChannelInputShutdownEvent) {
                    if (!upInputDone) {
                        upInputDone = true;
                        shutdownOutputAfterWrites(down, false);
                    }
                    return;
                }
                ctx.fireUserEventTriggered(evt);
            }

            @Override
            public void channelInactive(ChannelHandlerContext ctx) {
                closeAfterFlush(down);
                ctx.fireChannelInactive();
            }

            @Override
            public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                closeBoth();
            }
        }
    }
}
