package io.remora.proxy.tcp;

import io.remora.certs.SpiffeId;
import io.remora.proxy.tls.UpstreamTls;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.socket.SocketChannel;
import io.remora.proxy.net.Backpressure;
import io.remora.proxy.net.EpollHalfClosure;

import java.net.InetSocketAddress;
import java.time.Duration;
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
 * This class is the entry point; the pieces are {@link Relay} (one pair's state and what each event does to it),
 * {@link RelayConnect} (the upstream connection, with mTLS when asked), {@link RelayWrites} (moving bytes, and
 * half-closing a direction once its bytes are out) and {@link RelaySide}, the handler on each of the two channels.
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
}
