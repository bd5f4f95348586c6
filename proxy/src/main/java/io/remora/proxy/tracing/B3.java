package io.remora.proxy.tracing;

import io.netty.util.AsciiString;

/**
 * Zipkin's B3 propagation, in both its forms: the single header {@code b3: traceid-spanid-sampled-parentspanid}
 * (the last two optional, or just a decision {@code 0}, {@code 1}, {@code d}) and the multi-header form
 * {@code x-b3-traceid}, {@code x-b3-spanid}, {@code x-b3-parentspanid}, {@code x-b3-sampled}, {@code x-b3-flags}.
 * Trace ids are 16 or 32 lower-case hex digits, span ids 16, none all zeros. A context with a trace id and no span id
 * (or the other way round), or any malformed part, is ignored whole. No sampling state means the caller deferred the
 * decision to this hop.
 */
final class B3 {
    private static final int SPAN_ID_LENGTH = 16;

    private B3() {
    }

    /** The context in a {@code b3} header, or null when it is malformed. */
    static TraceContext parseSingle(CharSequence value) {
        if (value == null) {
            return null;
        }
        int length = value.length();
        if (length == 1) {
            TraceContext.Decision decision = singleDecision(value.charAt(0));
            return decision == null ? null : TraceContext.decisionOnly(decision, TraceHeaders.B3_SINGLE);
        }
        int traceLength = indexOfDash(value);
        if (traceLength != 16 && traceLength != 32) {
            return null;
        }
        int spanStart = traceLength + 1;
        int spanEnd = spanStart + SPAN_ID_LENGTH;
        if (!Hex.isLowerHex(value, 0, traceLength) || !Hex.isLowerHex(value, spanStart, SPAN_ID_LENGTH)) {
            return null;
        }
        TraceContext.Decision decision = TraceContext.Decision.DEFERRED;
        if (length != spanEnd) {
            if (length < spanEnd + 2 || value.charAt(spanEnd) != '-') {
                return null;
            }
            decision = singleDecision(value.charAt(spanEnd + 1));
            int parentStart = spanEnd + 3;
            boolean parentOk = length == spanEnd + 2 || (length == parentStart + SPAN_ID_LENGTH
                    && value.charAt(spanEnd + 2) == '-' && Hex.isLowerHex(value, parentStart, SPAN_ID_LENGTH)
                    && Hex.parse(value, parentStart, SPAN_ID_LENGTH) != 0);
            if (decision == null || !parentOk) {
                return null;
            }
        }
        return context(value, traceLength, value, spanStart, decision, TraceHeaders.B3_SINGLE);
    }

    /**
     * The context in the multi-header form, or null when it is malformed or absent (every argument null).
     *
     * @param traceId      {@code x-b3-traceid}
     * @param spanId       {@code x-b3-spanid}
     * @param parentSpanId {@code x-b3-parentspanid}: checked, not kept (this hop's span has its own parent)
     * @param sampled      {@code x-b3-sampled}: {@code 1} or {@code 0} ({@code true}/{@code false} from old tracers)
     * @param flags        {@code x-b3-flags}: {@code 1} is debug
     */
    static TraceContext parseMulti(CharSequence traceId, CharSequence spanId, CharSequence parentSpanId,
                                   CharSequence sampled, CharSequence flags) {
        TraceContext.Decision decision = TraceContext.Decision.DEFERRED;
        if (flags != null) {
            if (AsciiString.contentEquals(flags, "1")) {
                decision = TraceContext.Decision.DEBUG;
            } else if (!AsciiString.contentEquals(flags, "0")) {
                return null;
            }
        }
        if (sampled != null) {
            TraceContext.Decision said = multiDecision(sampled);
            if (said == null) {
                return null;
            }
            if (decision != TraceContext.Decision.DEBUG) {
                decision = said;
            }
        }
        if (traceId == null && spanId == null) {
            return parentSpanId != null || (sampled == null && flags == null) ? null
                    : TraceContext.decisionOnly(decision, TraceHeaders.B3_MULTI);
        }
        if (traceId == null || spanId == null || (traceId.length() != 16 && traceId.length() != 32)
                || spanId.length() != SPAN_ID_LENGTH || !Hex.isLowerHex(traceId, 0, traceId.length())
                || !Hex.isLowerHex(spanId, 0, SPAN_ID_LENGTH)) {
            return null;
        }
        if (parentSpanId != null && (parentSpanId.length() != SPAN_ID_LENGTH
                || !Hex.isLowerHex(parentSpanId, 0, SPAN_ID_LENGTH) || Hex.parse(parentSpanId, 0, SPAN_ID_LENGTH) == 0)) {
            return null;
        }
        return context(traceId, traceId.length(), spanId, 0, decision, TraceHeaders.B3_MULTI);
    }

    /**
     * The {@code b3} value for a span of a trace: {@code traceid-spanid-1|0|d[-parentspanid]}. A trace id whose upper
     * half is zero is written in 16 digits, as a 64-bit tracer sent it.
     *
     * @param parentSpanId 0 for a root span
     */
    static AsciiString formatSingle(long traceIdHigh, long traceIdLow, long spanId, long parentSpanId,
                                    TraceContext.Decision decision) {
        int traceLength = traceIdHigh == 0 ? 16 : 32;
        int length = traceLength + 1 + SPAN_ID_LENGTH + 2 + (parentSpanId == 0 ? 0 : 1 + SPAN_ID_LENGTH);
        byte[] b = new byte[length];
        int at = writeTraceId(traceIdHigh, traceIdLow, b);
        b[at++] = '-';
        Hex.write(spanId, b, at);
        at += SPAN_ID_LENGTH;
        b[at++] = '-';
        b[at++] = (byte) (decision == TraceContext.Decision.DEBUG ? 'd' : decision.sampled() ? '1' : '0');
        if (parentSpanId != 0) {
            b[at++] = '-';
            Hex.write(parentSpanId, b, at);
        }
        return new AsciiString(b, false);
    }

    /** A trace id as {@code x-b3-traceid} carries it: 16 digits when its upper half is zero, else 32. */
    static AsciiString formatTraceId(long traceIdHigh, long traceIdLow) {
        byte[] b = new byte[traceIdHigh == 0 ? 16 : 32];
        writeTraceId(traceIdHigh, traceIdLow, b);
        return new AsciiString(b, false);
    }

    /** A span id in 16 digits. */
    static AsciiString formatSpanId(long spanId) {
        byte[] b = new byte[SPAN_ID_LENGTH];
        Hex.write(spanId, b, 0);
        return new AsciiString(b, false);
    }

    private static int writeTraceId(long high, long low, byte[] b) {
        if (high == 0) {
            Hex.write(low, b, 0);
            return 16;
        }
        Hex.write(high, b, 0);
        Hex.write(low, b, 16);
        return 32;
    }

    private static TraceContext context(CharSequence trace, int traceLength, CharSequence span, int spanStart,
                                        TraceContext.Decision decision, int format) {
        long high = traceLength == 32 ? Hex.parse(trace, 0, 16) : 0;
        long low = Hex.parse(trace, traceLength - 16, 16);
        long spanId = Hex.parse(span, spanStart, SPAN_ID_LENGTH);
        if ((high == 0 && low == 0) || spanId == 0) {
            return null;
        }
        return TraceContext.of(high, low, spanId, decision, format);
    }

    private static int indexOfDash(CharSequence s) {
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) == '-') {
                return i;
            }
        }
        return -1;
    }

    private static TraceContext.Decision singleDecision(char c) {
        switch (c) {
            case '1':
                return TraceContext.Decision.SAMPLED;
            case '0':
                return TraceContext.Decision.NOT_SAMPLED;
            case 'd':
                return TraceContext.Decision.DEBUG;
            default:
                return null;
        }
    }

    private static TraceContext.Decision multiDecision(CharSequence s) {
        if (AsciiString.contentEquals(s, "1") || AsciiString.contentEqualsIgnoreCase(s, "true")) {
            return TraceContext.Decision.SAMPLED;
        }
        if (AsciiString.contentEquals(s, "0") || AsciiString.contentEqualsIgnoreCase(s, "false")) {
            return TraceContext.Decision.NOT_SAMPLED;
        }
        return null;
    }
}
