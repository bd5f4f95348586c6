package io.remora.proxy.net;

import io.netty.channel.Channel;

import java.net.SocketAddress;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Local addresses of the upstream connections this proxy has open (one set per proxy, not per JVM). When iptables captures the proxy's
 * own outgoing connection (a missing owner/uid exclusion rule), it arrives back on the capture listener
 * with the app's original destination, indistinguishable by address from app traffic; its source
 * address, though, is one of these. Passthrough refuses such a connection instead of relaying to
 * itself again and again.
 */
public final class OwnConnections {
    private final Set<SocketAddress> local = ConcurrentHashMap.newKeySet();

    /** Remembers a connected upstream channel's local address until the channel closes. */
    public void track(Channel upstream) {
        SocketAddress local = upstream.localAddress();
        if (local == null) {
            return;
        }
        this.local.add(local);
        upstream.closeFuture().addListener(f -> this.local.remove(local));
    }

    /** The one log event for a refused self-capture, with the rule that prevents it. */
    public static void logRefused(SocketAddress originalDst, SocketAddress downstreamRemote) {
        io.remora.log.Log.warn("capture_loop_refused", "original_dst", String.valueOf(originalDst),
                "remote", String.valueOf(downstreamRemote),
                "hint", "exclude the proxy's own traffic from capture (iptables -m owner --uid-owner)");
    }

    /** True when {@code downstreamRemote} is the source address of one of our own upstream connections. */
    public boolean isOwn(SocketAddress downstreamRemote) {
        return downstreamRemote != null && !local.isEmpty() && local.contains(downstreamRemote);
    }
}
