package io.remora.proxy.listener;

import io.remora.proxy.ProxyContext;
import io.remora.proxy.log.StreamInfo;

import java.net.InetSocketAddress;

/** The one access-log line of a TCP connection on one listener: relayed, failed to connect, or refused. */
final class TcpAccessLog {
    private final ProxyContext pc;
    private final ListenerSpec listener;

    TcpAccessLog(ProxyContext pc, ListenerSpec listener) {
        this.pc = pc;
        this.listener = listener;
    }

    /**
     * @param upstream the address connected to, or null when none was
     * @param details  why the proxy refused the connection, or null
     */
    void write(ConnectionInfo conn, long startMillis, long startNanos, String cluster, InetSocketAddress upstream,
               String flags, long bytesIn, long bytesOut, String details) {
        if (!pc.accessLog().enabled() && pc.tap().readers() == 0) {
            return;
        }
        StreamInfo info = new StreamInfo(startMillis, startNanos, listener.outbound(), conn.peerIp());
        info.request("TCP", null, null, null, null, false);
        info.downstreamRemotePort(conn.peerPort());
        info.sni(conn.sni());
        info.downstreamPrincipal(listener.outbound() ? null : conn.peerPrincipal());
        info.routed(null, cluster, null);
        if (upstream != null) {
            info.upstreamHost(upstream);
        }
        info.flags(flags);
        info.addReceived(bytesIn);
        info.addSent(bytesOut);
        info.details(details);
        info.ended(pc.environment().ticker().nanoTime());
        pc.accessLog().log(info);
        pc.tap().offer(info);
    }

    /** A connection the proxy did not relay: logged at once, nothing connected. */
    void refused(ConnectionInfo conn, String cluster, String flags, String details) {
        write(conn, pc.environment().clock().millis(), pc.environment().ticker().nanoTime(), cluster, null, flags, 0,
                0, details);
    }
}
