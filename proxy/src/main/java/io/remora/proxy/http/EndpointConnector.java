package io.remora.proxy.http;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.concurrent.Future;
import io.remora.certs.SpiffeId;
import io.remora.proxy.net.Handlers;
import io.remora.proxy.policy.ConcurrencyLimits;
import io.remora.proxy.tls.UpstreamTls;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * How a pool opens a connection to its endpoint, the same for {@link H1Pool} and {@link H2Pool}: from the pool's
 * event loop and source address, with the idle timeout, the protocol's handlers, mTLS when the endpoint has an
 * identity, the connection slot given back when the channel closes, and success reported only once the peer has
 * proved to be that identity. What to do with a connection once open is the pool's.
 */
final class EndpointConnector {
    private final UpstreamPools.LoopPools loop;
    private final InetSocketAddress address;
    /** The local address to connect from, or null for any. */
    private final InetSocketAddress source;
    /** Originates mTLS and expects {@link #identity}; null for plaintext. */
    private final UpstreamTls tls;
    private final SpiffeId identity;
    /** The ALPN protocol offered over mTLS. */
    private final String alpn;
    /** Adds the protocol's handlers (codec, upstream handler) to a new connection's pipeline. */
    private final Consumer<ChannelPipeline> protocol;

    EndpointConnector(UpstreamPools.LoopPools loop, InetSocketAddress address, InetSocketAddress source,
                      UpstreamTls tls, SpiffeId identity, String alpn, Consumer<ChannelPipeline> protocol) {
        this.loop = loop;
        this.address = address;
        this.source = source;
        this.tls = tls;
        this.identity = identity;
        this.alpn = alpn;
        this.protocol = protocol;
    }

    /**
     * Connects; {@code done} hears once, on the pool's loop, with a future whose success carries the channel (see
     * {@link #channel}). The caller has taken a connection slot from {@code limits}; it is given back on close.
     */
    void connect(Duration connectTimeout, Duration idleTimeout, ConcurrencyLimits limits, Consumer<Future<?>> done) {
        long idleMillis = idleTimeout.toMillis();
        ChannelFuture f = loop.bootstrap.clone()
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE, connectTimeout.toMillis()))
                .handler(new ChannelInitializer<>() {
                    @Override
                    protected void initChannel(Channel c) {
                        if (idleMillis > 0) {
                            c.pipeline().addLast(Handlers.IDLE,
                                    new IdleStateHandler(idleMillis, 0, 0, TimeUnit.MILLISECONDS));
                        }
                        protocol.accept(c.pipeline());
                        if (tls != null) {
                            tls.install(c.pipeline(), address, alpn);
                        }
                    }
                })
                .connect(address, source);
        f.channel().closeFuture().addListener(closed -> limits.releaseConnection());
        f.addListener((ChannelFuture connected) -> {
            if (!connected.isSuccess() || tls == null) {
                done.accept(connected);
            } else {
                // Handed out only once the peer proved to be the endpoint's identity.
                tls.verified(connected.channel(), identity).addListener(done::accept);
            }
        });
    }

    /** The channel a successful {@link #connect} future carries. */
    static Channel channel(Future<?> done) {
        return done instanceof ChannelFuture cf ? cf.channel() : (Channel) done.getNow();
    }

    /** Remembers {@code ch} as the proxy's own connection (so a capture listener does not intercept it). */
    void track(Channel ch) {
        loop.own.track(ch);
    }
}
