package io.remora.proxy.tracing;

import io.netty.handler.codec.http.HttpHeaders;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.StatusCode;

import java.util.concurrent.TimeUnit;

/**
 * A sampled request's span, recorded by the OpenTelemetry SDK. Times come as the proxy's ticker nanoseconds and are
 * placed on the wall clock by the span's start ({@code startEpochNanos} is when {@code startNanos} was), so a span's
 * duration is the monotonic one whatever the wall clock does meanwhile.
 */
final class RecordedSpan implements RequestSpan {
    private final Span span;
    private final boolean server;
    private final long startNanos;
    private final long startEpochNanos;
    private final long traceIdHigh;
    private final long traceIdLow;
    private final long spanId;
    private final long parentSpanId;
    private final TraceContext.Decision decision;
    private final int formats;
    private final boolean keepTracestate;
    private int retries;
    private boolean ended;

    /**
     * @param server       a SERVER span (inbound) rather than a CLIENT one (outbound)
     * @param parentSpanId the caller's span, 0 for a trace started here
     * @param decision     {@code SAMPLED}, or B3's {@code DEBUG} to pass on
     */
    @Override
    public String traceId() {
        return span.getSpanContext().getTraceId();
    }

    RecordedSpan(Span span, boolean server, long startNanos, long startEpochNanos, long parentSpanId,
                 TraceContext.Decision decision, int formats, boolean keepTracestate) {
        this.span = span;
        this.server = server;
        this.startNanos = startNanos;
        this.startEpochNanos = startEpochNanos;
        SpanContext context = span.getSpanContext();
        String traceId = context.getTraceId();
        this.traceIdHigh = Hex.parse(traceId, 0, 16);
        this.traceIdLow = Hex.parse(traceId, 16, 16);
        this.spanId = Hex.parse(context.getSpanId(), 0, 16);
        this.parentSpanId = parentSpanId;
        this.decision = decision;
        this.formats = formats;
        this.keepTracestate = keepTracestate;
    }

    @Override
    public boolean recording() {
        return true;
    }

    @Override
    public void inject(HttpHeaders forwarded) {
        TraceHeaders.inject(forwarded, traceIdHigh, traceIdLow, spanId, parentSpanId, decision, formats,
                keepTracestate);
    }

    @Override
    public void routed(String spanName, String routeName, String upstreamCluster) {
        if (spanName != null) {
            span.updateName(spanName);
        }
        span.setAttribute(SpanAttributes.ROUTE_NAME, routeName);
        span.setAttribute(SpanAttributes.UPSTREAM_CLUSTER, upstreamCluster);
    }

    @Override
    public void peer(String principal) {
        span.setAttribute(server ? SpanAttributes.SOURCE_PRINCIPAL : SpanAttributes.DESTINATION_PRINCIPAL, principal);
    }

    @Override
    public void requestId(String requestId) {
        span.setAttribute(SpanAttributes.REQUEST_ID, requestId);
    }

    @Override
    public void retry(int attempt, String reason, long nanos) {
        retries++;
        span.addEvent(SpanAttributes.RETRY_EVENT, reason == null
                ? Attributes.of(SpanAttributes.RETRY_ATTEMPT, (long) attempt)
                : Attributes.of(SpanAttributes.RETRY_ATTEMPT, (long) attempt, SpanAttributes.RETRY_REASON, reason),
                epochNanos(nanos), TimeUnit.NANOSECONDS);
    }

    @Override
    public void end(int status, String responseFlags, long endNanos) {
        if (ended) {
            return;
        }
        ended = true;
        if (status > 0) {
            span.setAttribute(SpanAttributes.HTTP_RESPONSE_STATUS_CODE, (long) status);
        }
        if (responseFlags != null) {
            span.setAttribute(SpanAttributes.RESPONSE_FLAGS, responseFlags);
        }
        if (retries > 0) {
            span.setAttribute(SpanAttributes.HTTP_REQUEST_RESEND_COUNT, (long) retries);
        }
        // The conventions: a server's 4xx is the client's mistake, not the server's error; a client's is its own.
        if (status <= 0 || status >= 500 || (!server && status >= 400)) {
            span.setAttribute(SpanAttributes.ERROR_TYPE, status > 0 ? Integer.toString(status)
                    : responseFlags != null && !responseFlags.equals("-") ? responseFlags : SpanAttributes.OTHER);
            span.setStatus(StatusCode.ERROR);
        }
        span.end(epochNanos(endNanos), TimeUnit.NANOSECONDS);
    }

    private long epochNanos(long tickerNanos) {
        return startEpochNanos + (tickerNanos - startNanos);
    }
}
