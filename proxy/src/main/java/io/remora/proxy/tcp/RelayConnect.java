package io.remora.proxy.tcp;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelOption;
import io.netty.channel.socket.SocketChannel;

import java.net.InetSocketAddress;
import java.time.Duration;

/**
 * The upstream half of a relay: connected on the downstream's event loop (so both halves are only ever touched by
 * one thread) with the downstream's allocator, reading off until the relay is ready for its bytes, half-closure on;
 * with mTLS, the connection counts only once the peer proved the identity asked for, so no byte reaches a wrong
 * peer.
 */
final class RelayConnect {
    private RelayConnect() {
    }

    /** Starts connecting; {@code handler} receives the upstream's events. */
    static ChannelFuture connect(Channel down, InetSocketAddress target, InetSocketAddress source,
                                 TcpRelay.Secure secure, Duration connectTimeout,
                                 Class<? extends SocketChannel> channelClass, ChannelHandler handler) {
        long ms = connectTimeout.toMillis();
        Bootstrap b = new Bootstrap()
                .group(down.eventLoop())
                .channel(channelClass)
                .disableResolver()
                .option(ChannelOption.ALLOCATOR, down.alloc())
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.max(0, Math.min(ms, Integer.MAX_VALUE)))
                .option(ChannelOption.WRITE_BUFFER_WATER_MARK, TcpRelay.WATER_MARK)
                .option(ChannelOption.ALLOW_HALF_CLOSURE, true)
                .option(ChannelOption.AUTO_READ, false)
                .handler(handler);
        ChannelFuture connect = source == null ? b.connect(target) : b.connect(target, source);
        if (secure != null) {
            // SslHandler reads by itself during the handshake, autoRead off or not.
            secure.tls().install(connect.channel().pipeline(), target, null);
        }
        return connect;
    }

    /**
     * Calls {@code ready} once {@code connect} is done: with mTLS, once the handshake and the identity check are
     * too, a refused peer being a failed connect.
     */
    static void whenReady(ChannelFuture connect, TcpRelay.Secure secure, ChannelFutureListener ready) {
        if (secure == null) {
            connect.addListener(ready);
            return;
        }
        Channel up = connect.channel();
        connect.addListener((ChannelFutureListener) f -> {
            if (!f.isSuccess()) {
                ready.operationComplete(f);
                return;
            }
            secure.tls().verified(up, secure.identity()).addListener(v -> ready.operationComplete(v.isSuccess()
                    ? f : up.newFailedFuture(v.cause())));
        });
    }
}
