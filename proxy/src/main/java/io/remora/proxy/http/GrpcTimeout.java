package io.remora.proxy.http;

/**
 * The {@code grpc-timeout} request header (gRPC over HTTP/2 spec): at most 8 digits and a unit, H M S m u n.
 */
final class GrpcTimeout {
    private GrpcTimeout() {
    }

    /** The timeout in nanoseconds, or -1 when absent or malformed. */
    static long parseNanos(CharSequence value) {
        if (value == null) {
            return -1;
        }
        int n = value.length();
        if (n < 2 || n > 9) {
            return -1;
        }
        long amount = 0;
        for (int i = 0; i < n - 1; i++) {
            char c = value.charAt(i);
            if (c < '0' || c > '9') {
                return -1;
            }
            amount = amount * 10 + (c - '0');
        }
        return switch (value.charAt(n - 1)) {
            case 'H' -> amount * 3_600_000_000_000L;
            case 'M' -> amount * 60_000_000_000L;
            case 'S' -> amount * 1_000_000_000L;
            case 'm' -> amount * 1_000_000L;
            case 'u' -> amount * 1_000L;
            case 'n' -> amount;
            default -> -1;
        };
    }

    /** The header value for {@code nanos} left: milliseconds, rounded up, at least 1 (8 digits at most). */
    static String format(long nanos) {
        long millis = Math.max(1, (nanos + 999_999) / 1_000_000);
        if (millis <= 99_999_999L) {
            return millis + "m";
        }
        return Math.min(99_999_999L, (millis + 999) / 1000) + "S";
    }
}
