package io.remora.proxy.metrics;

import io.micrometer.core.instrument.Counter;

/**
 * The meters of one label combination of Istio's TCP metrics: {@code istio_tcp_connections_opened_total},
 * {@code istio_tcp_connections_closed_total}, {@code istio_tcp_sent_bytes_total},
 * {@code istio_tcp_received_bytes_total}. Obtained from {@link ProxyMetrics#tcp}, which caches them.
 */
public final class TcpMeters {
    private final Counter opened;
    private final Counter closed;
    private final Counter sent;
    private final Counter received;

    TcpMeters(Counter opened, Counter closed, Counter sent, Counter received) {
        this.opened = opened;
        this.closed = closed;
        this.sent = sent;
        this.received = received;
    }

    public void opened() {
        opened.increment();
    }

    public void closed() {
        closed.increment();
    }

    /** Bytes of the response direction (destination to source), as Istio counts {@code sent}. */
    public void sent(long bytes) {
        if (bytes > 0) {
            sent.increment(bytes);
        }
    }

    /** Bytes of the request direction (source to destination), as Istio counts {@code received}. */
    public void received(long bytes) {
        if (bytes > 0) {
            received.increment(bytes);
        }
    }
}
