package io.remora.proxy.http;

import io.remora.proxy.net.Handlers;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.remora.certs.SpiffeId;
import io.remora.proxy.tls.UpstreamTls;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.timeout.IdleStateHandler;
import io.remora.proxy.policy.ConcurrencyLimits;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;

/**
 * Keep-alive HTTP/1.1 connections to one endpoint, owned by one event loop. Most recently used first, so
 * warm connections are reused and cold ones age out through the idle timeout.
 */
final class H1Pool {
    private final UpstreamPools.LoopPools loop;
    private final InetSocketAddress address;
    /** The local address to connect from, or null for any. */
    private final InetSocketAddress source;
    /** Originates mTLS and expects {@link #identity}; null for plaintext. */
    private final UpstreamTls tls;
    private final SpiffeId identity;
    private final ArrayDeque<Channel> idle = new ArrayDeque<>();

    H1Pool(UpstreamPools.LoopPools loop, InetSocketAddress address, InetSocketAddress source, UpstreamTls tls,
           SpiffeId identity) {
        this.source = source;
        this.tls = tls;
        this.identity = identity;
        this.loop = loop;
        this.address = address;
    }

    int idleCount() {
        return idle.size();
    }

    /**
     * Hands {@code requester} a pooled connection, or opens one when the service's limits allow another
     * connection and another request waiting for one; otherwise reports the overflow at once (no queue).
     */
    void acquire(UpstreamRequester requester, Duration connectTimeout, Duration idleTimeout,
                 ConcurrencyLimits limits) {
        Channel ch;
        while ((ch = idle.pollFirst()) != null) {
            if (ch.isActive()) {
                requester.upstreamReady(ch, true);
                return;
            }
        }
        if (!limits.tryAcquireConnection()) {
            requester.upstreamOverflow(ConcurrencyLimits.Limit.CONNECTIONS);
            return;
        }
        if (!limits.tryAcquirePending()) {
            limits.releaseConnection();
            requester.upstreamOverflow(ConcurrencyLimits.Limit.PENDING);
            return;
        }
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
                        c.pipeline().addLast(Handlers.CODEC, new HttpClientCodec(4096, 64 * 1024, 64 * 1024, true));
                        c.pipeline().addLast(Handlers.UPSTREAM, new UpstreamHandler(H1Pool.this));
                        if (tls != null) {
                            tls.install(c.pipeline(), address, ApplicationProtocolNames.HTTP_1_1);
                        }
                    }
                })
                .connect(address, source);
        f.channel().closeFuture().addListener(closed -> limits.releaseConnection());
        f.addListener((ChannelFuture done) -> {
            if (!done.isSuccess() || tls == null) {
                connected(done, requester, limits);
            } else {
                // Handed out only once the peer proved to be the endpoint's identity.
                tls.verified(done.channel(), identity).addListener(v -> connected(v, requester, limits));
            }
        });
    }

    private void connected(io.netty.util.concurrent.Future<?> done, UpstreamRequester requester,
                           ConcurrencyLimits limits) {
        limits.releasePending();
        Channel ch = !done.isSuccess() ? null
                : done instanceof ChannelFuture cf ? cf.channel() : (Channel) done.getNow();
        if (ch == null) {
            requester.upstreamFailed(done.cause());
        } else if (!requester.stillWaiting()) {
            loop.own.track(ch);
            release(ch);
        } else {
            loop.own.track(ch);
            requester.upstreamReady(ch, false);
        }
    }

    /** Returns a connection whose exchange ended cleanly; anything else must be closed instead. */
    void release(Channel ch) {
        if (!ch.isActive()) {
            return;
        }
        ch.config().setAutoRead(true);
        idle.addFirst(ch);
    }

    void forget(Channel ch) {
        idle.remove(ch);
    }

    void closeAll() {
        Channel ch;
        while ((ch = idle.pollFirst()) != null) {
            ch.close();
        }
    }
}
