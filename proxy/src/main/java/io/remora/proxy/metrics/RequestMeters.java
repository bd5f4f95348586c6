package io.remora.proxy.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;

/**
 * The meters of one label combination of Istio's request metrics: {@code istio_requests_total},
 * {@code istio_request_duration_milliseconds}, {@code istio_request_bytes}, {@code istio_response_bytes}, and for gRPC
 * {@code istio_request_messages_total} and {@code istio_response_messages_total}.
 * Obtained from {@link ProxyMetrics#request}, which caches them.
 */
public final class RequestMeters {
    private final Counter requests;
    private final DistributionSummary durationMillis;
    private final DistributionSummary requestBytes;
    private final DistributionSummary responseBytes;
    private final Counter requestMessages;
    private final Counter responseMessages;

    /** The message counters are null but for gRPC. */
    RequestMeters(Counter requests, DistributionSummary durationMillis, DistributionSummary requestBytes,
                  DistributionSummary responseBytes, Counter requestMessages, Counter responseMessages) {
        this.requests = requests;
        this.durationMillis = durationMillis;
        this.requestBytes = requestBytes;
        this.responseBytes = responseBytes;
        this.requestMessages = requestMessages;
        this.responseMessages = responseMessages;
    }

    /** Records one finished gRPC request: {@code istio_request_messages_total}, {@code istio_response_messages_total}. */
    public void recordMessages(long requestMessages, long responseMessages) {
        if (this.requestMessages != null) {
            this.requestMessages.increment(requestMessages);
            this.responseMessages.increment(responseMessages);
        }
    }

    /** Records one finished request. */
    public void record(long durationNanos, long requestBytes, long responseBytes) {
        requests.increment();
        durationMillis.record(durationNanos / 1_000_000.0);
        this.requestBytes.record(requestBytes);
        this.responseBytes.record(responseBytes);
    }
}
