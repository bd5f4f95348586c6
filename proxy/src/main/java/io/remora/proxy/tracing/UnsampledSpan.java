package io.remora.proxy.tracing;

import io.netty.handler.codec.http.HttpHeaders;

/**
 * A request that is not sampled but whose headers must be rewritten: a trace started here (no usable context
 * came, or B3 left the decision to this hop), or a context whose headers were partly malformed. Nothing is
 * recorded; the next hop gets a well-formed context marked not sampled, as Envoy forwards it, so it does not start
 * a trace of its own. A context that came keeps its ids (no span is made here, so the caller's span stays the
 * parent); a trace started here gets new ones.
 */
final class UnsampledSpan implements RequestSpan {
    private final long traceIdHigh;
    private final long traceIdLow;
    private final long spanId;
    private final int formats;
    private final boolean keepTracestate;

    @Override
    public String traceId() {
        return Hex.toString(traceIdHigh) + Hex.toString(traceIdLow);
    }

    UnsampledSpan(long traceIdHigh, long traceIdLow, long spanId, int formats, boolean keepTracestate) {
        this.traceIdHigh = traceIdHigh;
        this.traceIdLow = traceIdLow;
        this.spanId = spanId;
        this.formats = formats;
        this.keepTracestate = keepTracestate;
    }

    @Override
    public void inject(HttpHeaders forwarded) {
        TraceHeaders.inject(forwarded, traceIdHigh, traceIdLow, spanId, 0, TraceContext.Decision.NOT_SAMPLED, formats,
                keepTracestate);
    }
}
