package io.remora.proxy.log;

import java.net.InetSocketAddress;

/** Finished requests to format: one with every field the line names, and a TCP connection with few. */
final class StreamInfos {
    private StreamInfos() {
    }

    /** An outbound HTTP/2 gRPC request, retried once after a refused connect: every field but details and trace. */
    static StreamInfo full() {
        StreamInfo e = new StreamInfo(1_764_000_000_123L, 1_000, true, "127.0.0.1");
        e.downstreamRemotePort(51234);
        e.request("HTTP/2", "POST", "payments.shop:8080", "/pay?amount=\"10\"&note=caf\u00e9\\x",
                "curl/8.5.0 \u0001", true);
        e.requestId("req-1");
        e.forwardedFor("10.9.9.9, 127.0.0.1");
        e.sni("payments.shop");
        e.routed("payments.shop.svc.cluster.local", "payments.shop/v2", "payments");
        e.tryStarted(new InetSocketAddress("10.0.0.2", 8080), "spiffe://cluster.local/ns/shop/sa/payments",
                2_000);
        e.upstreamResponded(2_000 + 4_500_000);
        e.status(503);
        e.grpcStatus("14");
        e.flag(ResponseFlag.UPSTREAM_CONNECT_FAILURE);
        e.flag(ResponseFlag.RETRY_LIMIT_EXCEEDED);
        e.addReceived(321);
        e.sent(45);
        e.ended(1_000 + 12_345_678_000L);
        return e;
    }

    /** An inbound TCP connection relayed to {@code db.data}: no method, path, route or upstream host. */
    static StreamInfo tcp() {
        StreamInfo tcp = new StreamInfo(0, 0, false, "10.1.1.1");
        tcp.downstreamRemotePort(4000);
        tcp.request("TCP", null, null, null, null, false);
        tcp.routed(null, "db.data", null);
        tcp.addReceived(10);
        tcp.addSent(20);
        tcp.ended(999_000);
        return tcp;
    }
}
