package io.remora.proxy.listener;

import io.netty.channel.Channel;
import io.remora.log.Log;
import io.remora.proxy.cluster.Endpoint;
import io.remora.proxy.http.ResponseFlags;
import io.remora.proxy.metrics.TcpMeters;
import io.remora.proxy.net.OwnConnections;
import io.remora.proxy.tcp.TcpRelay;

import java.net.InetSocketAddress;

/**
 * What one relayed TCP connection reports as it goes: the upstream in the proxy's own connections (so a capture of
 * it is known for a loop), Istio's TCP metrics, the endpoint's active requests (the least-request balancer reads
 * them) and, once it ends, its one access-log line.
 */
final class TcpRelayReport implements TcpRelay.Listener {
    private final TcpAccessLog log;
    private final OwnConnections own;
    private final TcpMeters meters;
    private final ConnectionInfo conn;
    private final String listenerName;
    private final String cluster;
    private final InetSocketAddress target;
    private final Endpoint endpoint;
    private final long startMillis;
    private final long startNanos;

    /** @param endpoint the service endpoint connected to, or null (passthrough, the local app) */
    TcpRelayReport(TcpAccessLog log, OwnConnections own, TcpMeters meters, ConnectionInfo conn, String listenerName,
                   String cluster, InetSocketAddress target, Endpoint endpoint, long startMillis, long startNanos) {
        this.log = log;
        this.own = own;
        this.meters = meters;
        this.conn = conn;
        this.listenerName = listenerName;
        this.cluster = cluster;
        this.target = target;
        this.endpoint = endpoint;
        this.startMillis = startMillis;
        this.startNanos = startNanos;
        if (endpoint != null) {
            endpoint.requestStarted();
        }
    }

    @Override
    public void upstreamChannel(Channel upstream) {
        own.track(upstream);
    }

    @Override
    public void connected(InetSocketAddress upstream) {
        meters.opened();
    }

    @Override
    public void connectFailed(Throwable cause) {
        // The relay reports nothing after a failed connect (closed() is not called): finish here.
        finished();
        Log.warn("tcp_connect_failed", "listener", listenerName, "upstream", String.valueOf(target),
                "cause", String.valueOf(cause.getMessage()));
        log.write(conn, startMillis, startNanos, cluster, target, ResponseFlags.UPSTREAM_CONNECT_FAILURE, 0, 0, null);
    }

    @Override
    public void closed(long fromDownstream, long fromUpstream) {
        finished();
        meters.received(fromDownstream);
        meters.sent(fromUpstream);
        meters.closed();
        log.write(conn, startMillis, startNanos, cluster, target, ResponseFlags.NONE, fromDownstream, fromUpstream,
                null);
    }

    private void finished() {
        if (endpoint != null) {
            endpoint.requestFinished();
        }
    }
}
