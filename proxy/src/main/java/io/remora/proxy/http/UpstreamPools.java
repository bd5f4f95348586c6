package io.remora.proxy.http;

import io.remora.proxy.net.OwnConnections;

import io.remora.certs.SpiffeId;
import io.remora.proxy.tls.UpstreamTls;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.FastThreadLocal;
import io.remora.proxy.Transport;
import io.remora.proxy.net.Backpressure;
import io.remora.proxy.policy.ConcurrencyLimits;
import io.remora.proxy.route.RouteDecision;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Upstream connection pools, one set per event loop. A downstream connection always borrows from the pool
 * of its own loop, so the upstream channel lives on the same thread: no locks, no cross-thread handoff,
 * and toggling autoRead between the two is race-free.
 */
public final class UpstreamPools implements UpstreamStreams {

    private final Transport transport;
    private final UpstreamTls tls;
    private final OwnConnections own;
    private final List<LoopPools> all = new ArrayList<>();
    private final FastThreadLocal<LoopPools> perLoop = new FastThreadLocal<>() {
        @Override
        protected LoopPools initialValue() {
            throw new IllegalStateException("upstream pools are only reachable from an event loop");
        }
    };

    public UpstreamPools(Transport transport) {
        this(transport, null);
    }

    /** @param tls originates mTLS to endpoints with an identity; null when mTLS is off */
    public UpstreamPools(Transport transport, UpstreamTls tls) {
        this(transport, tls, new OwnConnections());
    }

    /** @param own where every upstream connection's local address is kept, for self-capture detection */
    public UpstreamPools(Transport transport, UpstreamTls tls, OwnConnections own) {
        this.transport = transport;
        this.tls = tls;
        this.own = own;
    }

    @Override
    public void acquire(EventLoop loop, InetSocketAddress address, RouteDecision.Upstream route, SpiffeId identity,
                        ConcurrencyLimits limits, UpstreamRequester requester) {
        LoopPools pools = current(loop);
        if (route.h2()) {
            pools.h2(address, route.source(), identity).acquire(requester, route.connectTimeout(),
                    route.idleTimeout(), limits);
        } else {
            pools.h1(address, route.source(), identity).acquire(requester, route.connectTimeout(),
                    route.idleTimeout(), limits);
        }
    }

    /** The pools of the calling event loop. */
    LoopPools current(EventLoop loop) {
        if (perLoop.isSet()) {
            return perLoop.get();
        }
        LoopPools pools = new LoopPools(loop, transport, tls, own);
        perLoop.set(pools);
        synchronized (all) {
            all.add(pools);
        }
        return pools;
    }

    /** Idle pooled connections by endpoint, for /clusters. Safe to call from any thread (approximate). */
    public Map<String, Integer> idleConnections() {
        Map<String, Integer> out = new HashMap<>();
        synchronized (all) {
            for (LoopPools p : all) {
                p.h1.forEach((key, pool) -> out.merge(key.address().toString(), pool.idleCount(), Integer::sum));
            }
        }
        return out;
    }

    /** Closes every pooled connection (drain, shutdown). Runs each close on its own loop. */
    public void closeAll() {
        synchronized (all) {
            for (LoopPools p : all) {
                p.loop.execute(p::closeAll);
            }
        }
    }

    /** An endpoint's pools are kept apart by expected identity, so a changed identity never reuses a connection. */
    record PoolKey(InetSocketAddress address, InetSocketAddress source, SpiffeId identity) {
        // Written out: looked up for every try, and the record's generated methods run through a method-handle chain.
        @Override
        public int hashCode() {
            return 31 * (31 * address.hashCode() + Objects.hashCode(source)) + Objects.hashCode(identity);
        }

        @Override
        public boolean equals(Object o) {
            return o == this || o instanceof PoolKey k && address.equals(k.address)
                    && Objects.equals(source, k.source) && Objects.equals(identity, k.identity);
        }
    }

    /** The pools of one event loop; touched only from that loop's thread. */
    static final class LoopPools {
        final EventLoop loop;
        final Bootstrap bootstrap;
        final UpstreamTls tls;
        final OwnConnections own;
        final Map<PoolKey, H1Pool> h1 = new HashMap<>();
        final Map<PoolKey, H2Pool> h2 = new HashMap<>();

        LoopPools(EventLoop loop, Transport transport, UpstreamTls tls, OwnConnections own) {
            this.loop = loop;
            this.tls = tls;
            this.own = own;
            this.bootstrap = new Bootstrap().group(loop).channel(transport.socketChannel())
                    .option(ChannelOption.TCP_NODELAY, true)
                    .option(ChannelOption.SO_KEEPALIVE, true)
                    .option(ChannelOption.WRITE_BUFFER_WATER_MARK, Backpressure.WATER_MARK);
        }

        /**
         * The HTTP/1.1 pool to {@code address}, connecting from {@code source} when it is not null; mTLS to it when
         * {@code identity} is not null.
         */
        H1Pool h1(InetSocketAddress address, InetSocketAddress source, SpiffeId identity) {
            PoolKey key = new PoolKey(address, source, identity);
            H1Pool p = h1.get(key);
            if (p == null) {
                p = new H1Pool(this, address, source, identity == null ? null : tls, identity);
                h1.put(key, p);
            }
            return p;
        }

        /** The HTTP/2 pool to {@code address}, as {@link #h1}. */
        H2Pool h2(InetSocketAddress address, InetSocketAddress source, SpiffeId identity) {
            PoolKey key = new PoolKey(address, source, identity);
            H2Pool p = h2.get(key);
            if (p == null) {
                p = new H2Pool(this, address, source, identity == null ? null : tls, identity);
                h2.put(key, p);
            }
            return p;
        }

        void closeAll() {
            h1.values().forEach(H1Pool::closeAll);
            h2.values().forEach(H2Pool::close);
        }
    }
}
