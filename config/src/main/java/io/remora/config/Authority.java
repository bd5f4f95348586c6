package io.remora.config;

/**
 * An authority ({@code Host} header, {@code :authority}, a Service's host) as the mesh matches it: the host alone,
 * without an optional {@code :port}, the brackets of an IPv6 literal ({@code [fd00::1]:8080}) or one trailing dot
 * of a fully qualified name, case folded by {@link #fold}. {@code Shop.Example:80}, {@code shop.example.} and
 * {@code shop.example} are one authority.
 *
 * <p>The one reading of authorities: the mesh index names Service hosts with {@link #of}, and the proxy looks a
 * request's authority up with {@link #hostRange} and {@link #fold}, which allocate nothing; so a request finds a
 * service exactly when the validator indexed the name it carries. {@link #isUriHostPort} is the one syntax check
 * of a request's authority.
 *
 * @param host the normalised host: lower case, no port, brackets or trailing dot; never empty
 */
public record Authority(String host) {
    /** RFC 3986 {@code unreserved}, {@code sub-delims} and {@code %} (of a {@code pct-encoded}) besides letters and digits. */
    private static final String REG_NAME_SPECIALS = "-._~!$&'()*+,;=%";

    public Authority {
        if (host == null || host.isEmpty()) {
            throw new IllegalArgumentException("an authority needs a host");
        }
    }

    /** The authority {@code text} names (surrounding white space ignored); null when it has no host. */
    public static Authority of(CharSequence text) {
        String trimmed = text.toString().trim();
        long range = hostRange(trimmed);
        if (range < 0) {
            return null;
        }
        int start = (int) (range >>> 32);
        int end = (int) range;
        StringBuilder sb = new StringBuilder(end - start);
        for (int i = start; i < end; i++) {
            sb.append(fold(trimmed.charAt(i)));
        }
        return new Authority(sb.toString());
    }

    /**
     * Where the host of {@code authority} is, as {@code start << 32 | end}, or -1 when it has none (empty, or an
     * unterminated {@code [}). A single colon separates a port; several colons outside brackets are an IPv6
     * literal written without them (and without a port).
     */
    public static long hostRange(CharSequence authority) {
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
            if (colon >= 0 && indexOf(authority, ':', colon + 1, length) < 0) {
                end = colon;
            }
            if (end > start && authority.charAt(end - 1) == '.') {
                end--;
            }
        }
        return end > start ? (long) start << 32 | end : -1;
    }

    /** The case folding of authorities, used both when names are indexed and when they are looked up. */
    public static char fold(char c) {
        if (c >= 'A' && c <= 'Z') {
            return (char) (c + ('a' - 'A'));
        }
        return c < 0x80 ? c : Character.toLowerCase(c);
    }

    /**
     * Whether {@code text} is an RFC 3986 {@code uri-host [ ":" port ]}, the syntax of a request's {@code Host}
     * and {@code :authority}: an IP literal in brackets (hex digits, letters, {@code :} and {@code .}), or a
     * reg-name of unreserved characters, sub-delims and percent signs (possibly empty), then optionally a colon and
     * decimal digits. Allocates nothing.
     */
    public static boolean isUriHostPort(CharSequence text) {
        int n = text.length();
        int i = 0;
        if (n > 0 && text.charAt(0) == '[') {
            int close = indexOf(text, ']', 1, n);
            if (close < 0) {
                return false;
            }
            for (int k = 1; k < close; k++) {
                char c = text.charAt(k);
                if (!isAsciiLetterOrDigit(c) && c != ':' && c != '.') {
                    return false;
                }
            }
            i = close + 1;
        } else {
            for (; i < n && text.charAt(i) != ':'; i++) {
                char c = text.charAt(i);
                if (!isAsciiLetterOrDigit(c) && REG_NAME_SPECIALS.indexOf(c) < 0) {
                    return false;
                }
            }
        }
        if (i == n) {
            return true;
        }
        if (text.charAt(i) != ':') {
            return false;
        }
        for (int k = i + 1; k < n; k++) {
            if (text.charAt(k) < '0' || text.charAt(k) > '9') {
                return false;
            }
        }
        return true;
    }

    private static boolean isAsciiLetterOrDigit(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    }

    private static int indexOf(CharSequence s, char c, int from, int to) {
        for (int i = from; i < to; i++) {
            if (s.charAt(i) == c) {
                return i;
            }
        }
        return -1;
    }

    @Override
    public String toString() {
        return host;
    }
}
