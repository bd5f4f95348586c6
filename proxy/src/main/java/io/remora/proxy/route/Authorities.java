package io.remora.proxy.route;

/**
 * Reads the host out of an authority ({@code Host} header or {@code :authority}) without allocating: strips an
 * optional {@code :port}, the brackets of an IPv6 literal ({@code [fd00::1]:8080}) and one trailing dot of a fully
 * qualified name. Case is folded by {@link #lower(char)}, the one folding used both when names are indexed and
 * when they are looked up.
 */
final class Authorities {
    private Authorities() {
    }

    /**
     * The host part of {@code authority} as {@code start << 32 | end}, or -1 when there is none (empty, or an
     * unterminated {@code [}).
     */
    static long hostRange(CharSequence authority) {
        int length = authority.length();
        if (length == 0) {
            return -1;
        }
        int start = 0;
        int end = length;
        if (authority.charAt(0) == '[') {
            int close = indexOf(authority, ']', 1, length);
            if (close < 0) {
                return -1;
            }
            start = 1;
            end = close;
        } else {
            int colon = indexOf(authority, ':', 0, length);
            // A single colon separates the port; several colons mean an unbracketed IPv6 literal without a port.
            if (colon >= 0 && indexOf(authority, ':', colon + 1, length) < 0) {
                end = colon;
            }
            if (end > start && authority.charAt(end - 1) == '.') {
                end--;
            }
        }
        return end > start ? (long) start << 32 | end : -1;
    }

    /** The normalised, lower-cased host of {@code authority}; null when it has none. Used when building. */
    static String normalize(String authority) {
        long range = hostRange(authority.trim());
        if (range < 0) {
            return null;
        }
        String trimmed = authority.trim();
        int start = (int) (range >>> 32);
        int end = (int) range;
        StringBuilder sb = new StringBuilder(end - start);
        for (int i = start; i < end; i++) {
            sb.append(lower(trimmed.charAt(i)));
        }
        return sb.toString();
    }

    static char lower(char c) {
        if (c >= 'A' && c <= 'Z') {
            return (char) (c + ('a' - 'A'));
        }
        return c < 0x80 ? c : Character.toLowerCase(c);
    }

    static int hash(CharSequence s, int start, int end) {
        int h = 0;
        for (int i = start; i < end; i++) {
            h = 31 * h + lower(s.charAt(i));
        }
        return h ^ (h >>> 16);
    }

    /** {@code lowerCased} equals the case-folded {@code s[start, end)}. */
    static boolean regionEquals(String lowerCased, CharSequence s, int start, int end) {
        if (lowerCased.length() != end - start) {
            return false;
        }
        for (int i = start; i < end; i++) {
            if (lowerCased.charAt(i - start) != lower(s.charAt(i))) {
                return false;
            }
        }
        return true;
    }

    private static int indexOf(CharSequence s, char c, int from, int to) {
        for (int i = from; i < to; i++) {
            if (s.charAt(i) == c) {
                return i;
            }
        }
        return -1;
    }
}
