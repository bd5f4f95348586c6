package io.remora.proxy;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.GlobalEventExecutor;
import io.remora.config.HostPort;
import io.remora.config.Sidecar;
import io.remora.log.Log;
import io.remora.net.ListenFailure;
import io.remora.proxy.listener.DownstreamInitializer;
import io.remora.proxy.listener.ListenerSpec;
import io.remora.proxy.net.Backpressure;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The sidecar's listening sockets, as its Sidecar asks for them: inbound, capture, then one per explicit upstream.
 * Bound once when the proxy starts (by the starting thread, before anything else reads them), read-only after.
 * Each bound port is one of the proxy's own, so a captured connection aimed at it is known for a loop.
 */
final class Listeners {
    /** One bound listener, with the address it got (kept: a closed channel may no longer say). */
    private record Bound(ListenerSpec spec, Channel channel, InetSocketAddress address) {
    }

    private final ProxyContext pc;
    private final EventLoopGroup group;
    private final Map<String, Bound> bound = new LinkedHashMap<>();

    Listeners(ProxyContext pc, EventLoopGroup group) {
        this.pc = pc;
        this.group = group;
    }

    /** The listeners a Sidecar asks for, in the order they are bound. */
    static List<ListenerSpec> wanted(Sidecar.Spec spec) {
        List<ListenerSpec> wanted = new ArrayList<>();
        if (spec.inbound() != null) {
            wanted.add(ListenerSpec.inbound(spec.inbound().listen(), spec.inbound().app(), spec.inbound().appProtocol(),
                    spec.inbound().tls()));
        }
        if (spec.outbound().capture().enabled()) {
            wanted.add(ListenerSpec.capture(spec.outbound().capture().listen()));
        }
        for (Sidecar.Upstream u : spec.outbound().upstreams()) {
            wanted.add(ListenerSpec.explicit(u.listen(), u.service()));
        }
        return wanted;
    }

    /**
     * Binds every listener of the proxy's Sidecar, in order.
     *
     * @throws ListenFailure when one cannot be bound; those bound before it stay bound, for {@link #close()}
     */
    void bindAll() throws InterruptedException {
        for (ListenerSpec l : wanted(pc.spec())) {
            Channel ch = bind(l);
            Bound b = new Bound(l, ch, (InetSocketAddress) ch.localAddress());
            bound.put(l.name(), b);
            // A captured connection aimed at any of our own ports would loop back into the proxy.
            pc.ownPorts().add(b.address().getPort());
            Log.info("listener_bound", "name", l.name(), "address", String.valueOf(ch.localAddress()));
        }
    }

    /** Binds one listener; a failure is a {@link ListenFailure} naming its role, address and reason. */
    private Channel bind(ListenerSpec l) throws InterruptedException {
        HostPort at = l.bind();
        ChannelFuture f = new ServerBootstrap()
                .group(group)
                .channel(pc.transport().serverChannel())
                .option(ChannelOption.SO_BACKLOG, 1024)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(ChannelOption.SO_KEEPALIVE, true)
                .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, Backpressure.WATER_MARK)
                .childHandler(new DownstreamInitializer(pc, l))
                .bind(at.host(), at.port())
                .await();
        if (!f.isSuccess()) {
            throw ListenFailure.of(l.role(), at.host(), at.port(), f.cause());
        }
        return f.channel();
    }

    /** What was bound, in order. */
    Collection<ListenerSpec> specs() {
        return bound.values().stream().map(Bound::spec).toList();
    }

    /** Local address of a listener by name ({@code inbound}, {@code capture}, or an explicit upstream); else null. */
    InetSocketAddress address(String name) {
        Bound b = bound.get(name);
        return b == null ? null : b.address();
    }

    /** Local address of the explicit listener for a service key; else null. */
    InetSocketAddress upstream(String serviceKey) {
        for (Bound b : bound.values()) {
            if (b.spec() instanceof ListenerSpec.ExplicitUpstream x && x.serviceKey().equals(serviceKey)) {
                return b.address();
            }
        }
        return null;
    }

    /** Closes the inbound listener: no new connection from other sidecars; those open carry on. Done when closed. */
    Future<Void> closeInbound() {
        ChannelGroup inbound = new DefaultChannelGroup("inbound-listener", GlobalEventExecutor.INSTANCE);
        for (Bound b : bound.values()) {
            if (!b.spec().outbound()) {
                inbound.add(b.channel());
            }
        }
        return inbound.close();
    }

    /** Closes every listener (connections they accepted are not theirs to close); its port is no longer ours. */
    void close() {
        for (Bound b : bound.values()) {
            pc.ownPorts().remove(b.address().getPort());
            b.channel().close();
        }
    }
}
