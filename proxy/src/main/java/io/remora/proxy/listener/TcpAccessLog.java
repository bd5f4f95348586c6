package io.remora.proxy.listener;

import io.remora.proxy.ProxyContext;
import io.remora.proxy.log.AccessLogEntry;

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
        if (!pc.accessLog().enabled()) {
            return;
        }
        boolean outbound = listener.outbound();
        pc.accessLog().log(new AccessLogEntry(startMillis, outbound ? "outbound" : "inbound", "TCP", null, null,
                null, 0, null, flags, (pc.environment().ticker().nanoTime() - startNanos) / 1000, cluster,
                upstream == null ? null : upstream.getHostString() + ":" + upstream.getPort(), bytesIn, bytesOut,
                null, conn.peerIp(), null, null, outbound ? null : conn.peerPrincipal(), details));
    }

    /** A connection the proxy did not relay: logged at once, nothing connected. */
    void refused(ConnectionInfo conn, String cluster, String flags, String details) {
        write(conn, pc.environment().clock().millis(), pc.environment().ticker().nanoTime(), cluster, null, flags, 0,
                0, details);
    }
}
