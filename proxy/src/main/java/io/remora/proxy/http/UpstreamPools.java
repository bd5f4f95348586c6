package io.remora.proxy.http;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.FastThreadLocal;
import io.remora.proxy.Transport;
import io.remora.proxy.net.Backpressure;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Upstream connection pools, one set per event loop. A downstream connection always borrows from the pool
 * of its own loop, so the upstream channel lives on the same thread: no locks, no cross-thread handoff,
 * and toggling autoRead between the two is race-free.
 */
public final class UpstreamPools {

    private final Transport transport;
    private final List<LoopPools> all = new ArrayList<>();
    private final FastThreadLocal<LoopPools> perLoop = new FastThreadLocal<>() {
        @Override
        protected LoopPools initialValue() {
            throw new IllegalStateException("upstream pools are only reachable from an event loop");
        }
    };

    public UpstreamPools(Transport transport) {
        this.transport = transport;
    }

    /** The pools of the calling event loop. */
    LoopPools current(EventLoop loop) {
        if (perLoop.isSet()) {
            return perLoop.get();
        }
        LoopPools pools = new LoopPools(loop, transport);
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
                p.h1.forEach((addr, pool) -> out.merge(addr.toString(), pool.idleCount(), Integer::sum));
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

    /** The pools of one event loop; touched only from that loop's thread. */
    static final class LoopPools {
        final EventLoop loop;
        final Bootstrap bootstrap;
        final Map<InetSocketAddress, H1Pool> h1 = new HashMap<>();
        final Map<InetSocketAddress, H2Pool> h2 = new HashMap<>();

        LoopPools(EventLoop loop, Transport transport) {
            this.loop = loop;
            this.bootstrap = new Bootstrap().group(loop).channel(transport.socketChannel())
                    .option(ChannelOption.TCP_NODELAY, true)
                    .option(ChannelOption.SO_KEEPALIVE, true)
                    .option(ChannelOption.WRITE_BUFFER_WATER_MARK, Backpressure.WATER_MARK);
        }

        H1Pool h1(InetSocketAddress address) {
            H1Pool p = h1.get(address);
            if (p == null) {
                p = new H1Pool(this, address);
                h1.put(address, p);
            }
            return p;
        }

        H2Pool h2(InetSocketAddress address) {
            H2Pool p = h2.get(address);
            if (p == null) {
                p = new H2Pool(this, address);
                h2.put(address, p);
            }
            return p;
        }

        void closeAll() {
            h1.values().forEach(H1Pool::closeAll);
            h2.values().forEach(H2Pool::close);
        }
    }
}
