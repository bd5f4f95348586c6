package io.remora.proxy.tracing;

import io.netty.handler.codec.http.HttpHeaders;
import io.netty.util.AsciiString;

import java.util.Iterator;

/**
 * Reads a request's trace context from its headers and writes this hop's into the request it forwards. Reading
 * prefers W3C {@code traceparent}, then B3's single {@code b3} header, then its multi-header form; a header that is
 * malformed is ignored, never half-used. Writing removes every trace header first, so nothing malformed or stale is
 * forwarded beside what is written: {@code traceparent} always, B3 in each form the request carried (and as the
 * single {@code b3} header for a trace started here, for apps that only pass B3 on), {@code tracestate} only when it
 * came with the {@code traceparent} this context was read from.
 */
final class TraceHeaders {
    /** Formats, as bits of {@link TraceContext#formats()}. */
    static final int W3C = 1;
    static final int B3_SINGLE = 2;
    static final int B3_MULTI = 4;

    static final AsciiString TRACEPARENT = AsciiString.cached("traceparent");
    static final AsciiString TRACESTATE = AsciiString.cached("tracestate");
    static final AsciiString B3_HEADER = AsciiString.cached("b3");
    static final AsciiString X_B3_TRACEID = AsciiString.cached("x-b3-traceid");
    static final AsciiString X_B3_SPANID = AsciiString.cached("x-b3-spanid");
    static final AsciiString X_B3_PARENTSPANID = AsciiString.cached("x-b3-parentspanid");
    static final AsciiString X_B3_SAMPLED = AsciiString.cached("x-b3-sampled");
    static final AsciiString X_B3_FLAGS = AsciiString.cached("x-b3-flags");
    private static final AsciiString ONE = AsciiString.cached("1");
    private static final AsciiString ZERO = AsciiString.cached("0");

    /** What a request whose every trace header is malformed reads as, by the formats it carried. */
    private static final TraceContext[] MALFORMED = new TraceContext[8];

    static {
        for (int formats = 0; formats < MALFORMED.length; formats++) {
            MALFORMED[formats] = new TraceContext(0, 0, 0, TraceContext.Decision.DEFERRED, 0, formats, false);
        }
    }

    private TraceHeaders() {
    }

    /**
     * The request's trace context; null when it carries no trace header at all (which allocates nothing). A
     * context without ids ({@link TraceContext#hasIds()}) is a decision alone, or nothing usable when
     * {@link TraceContext#source()} is 0.
     */
    static TraceContext extract(HttpHeaders headers) {
        int formats = 0;
        TraceContext w3c = null;
        if (headers.get(TRACEPARENT) != null) {
            formats |= W3C;
            w3c = TraceParent.parse(onlyValue(headers, TRACEPARENT));
        }
        TraceContext single = null;
        String b3 = headers.get(B3_HEADER);
        if (b3 != null) {
            formats |= B3_SINGLE;
            single = B3.parseSingle(b3);
        }
        TraceContext multi = null;
        String traceId = headers.get(X_B3_TRACEID);
        String spanId = headers.get(X_B3_SPANID);
        String parentSpanId = headers.get(X_B3_PARENTSPANID);
        String sampled = headers.get(X_B3_SAMPLED);
        String flags = headers.get(X_B3_FLAGS);
        if (traceId != null || spanId != null || parentSpanId != null || sampled != null || flags != null) {
            formats |= B3_MULTI;
            multi = B3.parseMulti(traceId, spanId, parentSpanId, sampled, flags);
        }
        if (formats == 0) {
            return null;
        }
        TraceContext chosen = choose(w3c, single, multi);
        if (chosen == null) {
            return MALFORMED[formats];
        }
        boolean clean = agrees(chosen, w3c, formats, W3C) && agrees(chosen, single, formats, B3_SINGLE)
                && agrees(chosen, multi, formats, B3_MULTI);
        return chosen.carried(formats, clean);
    }

    /**
     * Writes a span's context into {@code headers}, replacing every trace header there.
     *
     * @param parentSpanId the span's parent (B3 carries it), 0 for a root
     * @param formats      what to write: {@link #W3C} is always written; {@link #B3_SINGLE}, {@link #B3_MULTI}
     * @param keepTracestate whether the {@code tracestate} the request carried belongs to this context
     */
    static void inject(HttpHeaders headers, long traceIdHigh, long traceIdLow, long spanId, long parentSpanId,
                       TraceContext.Decision decision, int formats, boolean keepTracestate) {
        removeAll(headers, keepTracestate);
        headers.set(TRACEPARENT, TraceParent.format(traceIdHigh, traceIdLow, spanId, decision.sampled()));
        if ((formats & B3_SINGLE) != 0) {
            headers.set(B3_HEADER, B3.formatSingle(traceIdHigh, traceIdLow, spanId, parentSpanId, decision));
        }
        if ((formats & B3_MULTI) != 0) {
            headers.set(X_B3_TRACEID, B3.formatTraceId(traceIdHigh, traceIdLow));
            headers.set(X_B3_SPANID, B3.formatSpanId(spanId));
            if (parentSpanId != 0) {
                headers.set(X_B3_PARENTSPANID, B3.formatSpanId(parentSpanId));
            }
            if (decision == TraceContext.Decision.DEBUG) {
                headers.set(X_B3_FLAGS, ONE);
            } else {
                headers.set(X_B3_SAMPLED, decision.sampled() ? ONE : ZERO);
            }
        }
    }

    /**
     * The formats a span continuing {@code incoming} writes: W3C, and B3 as the request carried it; a trace started
     * here (no usable context came) is written as single-header B3 too.
     */
    static int formatsFor(TraceContext incoming) {
        int carried = incoming == null ? 0 : incoming.formats() & (B3_SINGLE | B3_MULTI);
        boolean started = incoming == null || !incoming.hasIds();
        return W3C | carried | (started ? B3_SINGLE : 0);
    }

    /** Whether the request's {@code tracestate} goes with {@code incoming} (it came with a valid traceparent). */
    static boolean keepsTracestate(TraceContext incoming) {
        return incoming != null && incoming.source() == W3C;
    }

    private static void removeAll(HttpHeaders headers, boolean keepTracestate) {
        headers.remove(TRACEPARENT);
        if (!keepTracestate) {
            headers.remove(TRACESTATE);
        }
        headers.remove(B3_HEADER);
        headers.remove(X_B3_TRACEID);
        headers.remove(X_B3_SPANID);
        headers.remove(X_B3_PARENTSPANID);
        headers.remove(X_B3_SAMPLED);
        headers.remove(X_B3_FLAGS);
    }

    /** The header's value when it is given once; null when given twice (two parents: neither can be trusted). */
    private static CharSequence onlyValue(HttpHeaders headers, AsciiString name) {
        Iterator<? extends CharSequence> values = headers.valueCharSequenceIterator(name);
        CharSequence first = values.next();
        return values.hasNext() ? null : first;
    }

    /** W3C first; then B3 with ids, single before multi; then a B3 decision alone. */
    private static TraceContext choose(TraceContext w3c, TraceContext single, TraceContext multi) {
        if (w3c != null) {
            return w3c;
        }
        if (single != null && (single.hasIds() || multi == null || !multi.hasIds())) {
            return single;
        }
        return multi;
    }

    /** A format the request did not carry agrees; one it carried must be well formed and name the same. */
    private static boolean agrees(TraceContext chosen, TraceContext read, int formats, int format) {
        if ((formats & format) == 0) {
            return true;
        }
        return read != null && (read == chosen || chosen.agrees(read));
    }
}
