package io.remora.proxy.tracing;

/**
 * The trace context a request arrived with: whose trace it is, the caller's span, and what the caller decided about
 * sampling. Ids are held as numbers, read in place from the header; a context that only carries a decision
 * ({@code b3: 0}, a lone {@code x-b3-sampled}) or none (every trace header malformed) has no ids (all zero).
 *
 * @param traceIdHigh the upper 64 bits of the trace id (0 for a 64-bit B3 trace id)
 * @param traceIdLow  the lower 64 bits of the trace id
 * @param spanId      the caller's span, which this hop's span is a child of
 * @param decision    the caller's sampling decision
 * @param source      the format the context was read from ({@link TraceHeaders#W3C} ...); 0 when none was usable
 * @param formats     every format the request carried, well formed or not
 * @param clean       every format the request carried was well formed and they agree: forwarding the headers as
 *                    they are forwards this context
 */
record TraceContext(long traceIdHigh, long traceIdLow, long spanId, Decision decision, int source, int formats,
                    boolean clean) {

    /** What the caller decided about sampling; B3 lets a caller leave it to the receiver. */
    enum Decision {
        SAMPLED, NOT_SAMPLED, DEFERRED,
        /** B3's debug flag: sampled, and to be kept whatever a collector's own sampling says. */
        DEBUG;

        boolean sampled() {
            return this == SAMPLED || this == DEBUG;
        }
    }

    /** A context with ids, as one format's reader finds it. */
    static TraceContext of(long traceIdHigh, long traceIdLow, long spanId, Decision decision, int format) {
        return new TraceContext(traceIdHigh, traceIdLow, spanId, decision, format, format, true);
    }

    /** A decision only, with no ids: {@code b3: 0}, {@code b3: d}, a lone {@code x-b3-sampled}. */
    static TraceContext decisionOnly(Decision decision, int format) {
        return new TraceContext(0, 0, 0, decision, format, format, true);
    }

    /** Whether the context names a trace and a span (not just a decision). */
    boolean hasIds() {
        return traceIdHigh != 0 || traceIdLow != 0;
    }

    /** The same context, read from a request that carried {@code otherFormats}, clean or not. */
    TraceContext carried(int otherFormats, boolean isClean) {
        return otherFormats == formats && isClean == clean ? this
                : new TraceContext(traceIdHigh, traceIdLow, spanId, decision, source, otherFormats, isClean);
    }

    /** Whether {@code other} names the same trace and span, with the same decision. */
    boolean agrees(TraceContext other) {
        return traceIdHigh == other.traceIdHigh && traceIdLow == other.traceIdLow && spanId == other.spanId
                && decision.sampled() == other.decision.sampled();
    }
}
