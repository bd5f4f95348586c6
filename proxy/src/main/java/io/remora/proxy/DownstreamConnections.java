package io.remora.proxy;

import io.netty.channel.Channel;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.util.concurrent.GlobalEventExecutor;

import java.util.concurrent.atomic.AtomicLong;

/**
 * The proxy's open downstream connections (a channel group: each leaves it when it closes), and how many have
 * arrived in all. The count is what lets a {@link Drain} tell a quiet second from one a connection came and went in,
 * without looking at the group on a timer.
 */
final class DownstreamConnections extends DefaultChannelGroup {
    private final AtomicLong arrivals = new AtomicLong();

    DownstreamConnections() {
        super("downstream", GlobalEventExecutor.INSTANCE);
    }

    /** Counted once it is in the group, so a count that has not moved means none arrived since it was read. */
    @Override
    public boolean add(Channel channel) {
        boolean added = super.add(channel);
        if (added) {
            arrivals.incrementAndGet();
        }
        return added;
    }

    /** Connections added since the proxy started; never goes down. */
    long arrivals() {
        return arrivals.get();
    }
}
