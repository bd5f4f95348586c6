package io.remora.proxy.http;

import io.netty.channel.Channel;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.util.concurrent.Future;
import io.remora.certs.SpiffeId;
import io.remora.proxy.net.Handlers;
import io.remora.proxy.policy.ConcurrencyLimits;
import io.remora.proxy.tls.UpstreamTls;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayDeque;

/**
 * Keep-alive HTTP/1.1 connections to one endpoint, owned by one event loop. Most recently used first, so
 * warm connections are reused and cold ones age out through the idle timeout.
 */
final class H1Pool {
    private final EndpointConnector connector;
    private final ArrayDeque<Channel> idle = new ArrayDeque<>();

    H1Pool(UpstreamPools.LoopPools loop, InetSocketAddress address, InetSocketAddress source, UpstreamTls tls,
           SpiffeId identity) {
        this.connector = new EndpointConnector(loop, address, source, tls, identity, ApplicationProtocolNames.HTTP_1_1,
                p -> {
                    p.addLast(Handlers.CODEC, new UpstreamHttp1Codec());
                    p.addLast(Handlers.UPSTREAM, new UpstreamHandler(this));
                });
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
        connector.connect(connectTimeout, idleTimeout, limits, done -> connected(done, requester, limits));
    }

    private void connected(Future<?> done, UpstreamRequester requester, ConcurrencyLimits limits) {
        limits.releasePending();
        Channel ch = done.isSuccess() ? EndpointConnector.channel(done) : null;
        if (ch == null) {
            requester.upstreamFailed(done.cause());
        } else if (!requester.stillWaiting()) {
            connector.track(ch);
            release(ch);
        } else {
            connector.track(ch);
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
