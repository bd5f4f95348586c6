package io.remora.proxy.http;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.timeout.IdleStateHandler;
import io.remora.proxy.net.OwnConnections;
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
    private final ArrayDeque<Channel> idle = new ArrayDeque<>();

    H1Pool(UpstreamPools.LoopPools loop, InetSocketAddress address) {
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
                            c.pipeline().addLast("idle", new IdleStateHandler(idleMillis, 0, 0, TimeUnit.MILLISECONDS));
                        }
                        c.pipeline().addLast("codec", new HttpClientCodec(4096, 64 * 1024, 64 * 1024, true));
                        c.pipeline().addLast("upstream", new UpstreamHandler(H1Pool.this));
                    }
                })
                .connect(address);
        f.channel().closeFuture().addListener(closed -> limits.releaseConnection());
        f.addListener((ChannelFuture done) -> {
            limits.releasePending();
            if (!done.isSuccess()) {
                requester.upstreamFailed(done.cause());
            } else if (!requester.stillWaiting()) {
                OwnConnections.track(done.channel());
                release(done.channel());
            } else {
                OwnConnections.track(done.channel());
                requester.upstreamReady(done.channel(), false);
            }
        });
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
