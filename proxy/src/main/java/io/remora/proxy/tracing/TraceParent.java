package io.remora.proxy.tracing;

import io.netty.util.AsciiString;

/**
 * W3C Trace Context's {@code traceparent}: {@code version-traceid-parentid-flags}, e.g.
 * {@code 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01}. Read as the recommendation says: version
 * {@code ff} and ids of all zeros are invalid, version {@code 00} is exactly 55 characters, a later version may
 * carry more fields after a {@code -}, which are ignored; anything else is malformed and the whole value is ignored.
 * Only lower-case hex is accepted. Written always as version {@code 00}.
 */
final class TraceParent {
    /** Length of a version-00 value. */
    static final int LENGTH = 55;
    private static final int FLAG_SAMPLED = 0x01;

    private TraceParent() {
    }

    /** The context in {@code value}, or null when it is malformed. */
    static TraceContext parse(CharSequence value) {
        if (value == null || value.length() < LENGTH || !Hex.isLowerHex(value, 0, 2)) {
            return null;
        }
        int version = (int) Hex.parse(value, 0, 2);
        if (version == 0xff || (version == 0 && value.length() != LENGTH)
                || (value.length() > LENGTH && value.charAt(LENGTH) != '-')) {
            return null;
        }
        if (value.charAt(2) != '-' || value.charAt(35) != '-' || value.charAt(52) != '-'
                || !Hex.isLowerHex(value, 3, 32) || !Hex.isLowerHex(value, 36, 16) || !Hex.isLowerHex(value, 53, 2)) {
            return null;
        }
        long high = Hex.parse(value, 3, 16);
        long low = Hex.parse(value, 19, 16);
        long span = Hex.parse(value, 36, 16);
        if ((high == 0 && low == 0) || span == 0) {
            return null;
        }
        boolean sampled = (Hex.parse(value, 53, 2) & FLAG_SAMPLED) != 0;
        return TraceContext.of(high, low, span, sampled ? TraceContext.Decision.SAMPLED
                : TraceContext.Decision.NOT_SAMPLED, TraceHeaders.W3C);
    }

    /** The version-00 value for a span of a trace, sampled or not. */
    static AsciiString format(long traceIdHigh, long traceIdLow, long spanId, boolean sampled) {
        byte[] b = new byte[LENGTH];
        b[0] = '0';
        b[1] = '0';
        b[2] = '-';
        Hex.write(traceIdHigh, b, 3);
        Hex.write(traceIdLow, b, 19);
        b[35] = '-';
        Hex.write(spanId, b, 36);
        b[52] = '-';
        b[53] = '0';
        b[54] = (byte) (sampled ? '1' : '0');
        return new AsciiString(b, false);
    }
}
