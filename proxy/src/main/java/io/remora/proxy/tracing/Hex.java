package io.remora.proxy.tracing;

/**
 * Lower-case hex over {@link CharSequence}s and byte arrays, for trace and span ids: read in place (no substring),
 * written into the header value being built. Trace context formats allow lower-case digits only, so upper case is
 * malformed here.
 */
final class Hex {
    private static final byte[] DIGITS = "0123456789abcdef".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

    private Hex() {
    }

    /** Whether {@code length} characters from {@code from} are all {@code 0-9a-f}. */
    static boolean isLowerHex(CharSequence s, int from, int length) {
        if (from < 0 || from + length > s.length()) {
            return false;
        }
        for (int i = from; i < from + length; i++) {
            if (value(s.charAt(i)) < 0) {
                return false;
            }
        }
        return true;
    }

    /** The value of up to 16 hex digits from {@code from}; the caller checked them with {@link #isLowerHex}. */
    static long parse(CharSequence s, int from, int length) {
        long v = 0;
        for (int i = from; i < from + length; i++) {
            v = (v << 4) | value(s.charAt(i));
        }
        return v;
    }

    /** Writes {@code v} as 16 hex digits at {@code offset}. */
    static void write(long v, byte[] out, int offset) {
        for (int i = 15; i >= 0; i--) {
            out[offset + i] = DIGITS[(int) (v & 0xF)];
            v >>>= 4;
        }
    }

    /** {@code v} as 16 hex digits. */
    static String toString(long v) {
        byte[] b = new byte[16];
        write(v, b, 0);
        return new String(b, java.nio.charset.StandardCharsets.US_ASCII);
    }

    private static int value(char c) {
        if (c >= '0' && c <= '9') {
            return c - '0';
        }
        if (c >= 'a' && c <= 'f') {
            return c - 'a' + 10;
        }
        return -1;
    }
}
