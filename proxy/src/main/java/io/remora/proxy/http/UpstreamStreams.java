package io.remora.proxy.http;

import io.netty.channel.EventLoop;
import io.remora.certs.SpiffeId;
import io.remora.proxy.policy.ConcurrencyLimits;
import io.remora.proxy.route.RouteDecision;

import java.net.InetSocketAddress;

/**
 * Where a try gets its upstream stream: {@link UpstreamPools} in the proxy (a pooled HTTP/1.1 connection or a new
 * stream on a shared HTTP/2 one), and in the exchange's unit tests a source of embedded channels, so every state of
 * a try can be driven without sockets or wall-clock time.
 */
public interface UpstreamStreams {
    /**
     * Asks for a stream to {@code address} on {@code loop} (the downstream's own event loop), with mTLS expecting
     * {@code identity} when not null; the answer comes to {@code requester}, at once or later, always on that loop.
     */
    void acquire(EventLoop loop, InetSocketAddress address, RouteDecision.Upstream route, SpiffeId identity,
                 ConcurrencyLimits limits, UpstreamRequester requester);
}
