package io.remora.proxy.http;

import io.remora.config.Sidecar;

/**
 * Makes a request path canonical before anything matches on it, so a route or an authorization policy cannot be
 * sidestepped by writing the same path another way ({@code /./admin}, {@code /x/../admin}, {@code /%61dmin},
 * {@code //admin}). What Envoy's {@code normalize_path} and {@code merge_slashes} do, and Istio's default path
 * normalization, in this order:
 * <ol>
 *   <li>percent-encoded unreserved characters (RFC 3986 section 2.3: letters, digits, {@code -._~}) are decoded,
 *       every other escape is kept with its hex digits in upper case; {@code %00} and a broken escape are a 400;
 *       {@code %2F} and {@code %5C} are kept, decoded or refused as configured;</li>
 *   <li>a {@code \} becomes {@code /} (browsers and many servers read it so);</li>
 *   <li>runs of {@code /} become one (when {@code mergeSlashes});</li>
 *   <li>{@code .} and {@code ..} segments are removed as RFC 3986 section 5.2.4 says; a {@code ..} that would climb
 *       above the root is a 400 instead of being dropped, since only an attacker sends one.</li>
 * </ol>
 * The query is left as it is. Compiled once per Sidecar; {@link #normalize} allocates only when the path changes.
 */
final class PathNormalizer {
    private final Sidecar.PathMode mode;
    private final boolean mergeSlashes;
    private final Sidecar.EscapedSlashes escapedSlashes;

    PathNormalizer(Sidecar.PathNormalization config) {
        this.mode = config.mode();
        this.mergeSlashes = config.mergeSlashes();
        this.escapedSlashes = config.escapedSlashes();
    }

    /** Thrown for a path that cannot be normalized (or, in {@code reject} mode, is not normal); a 400. */
    static final class InvalidPath extends Exception {
        InvalidPath(String message) {
            super(message, null, false, false);
        }
    }

    /**
     * The origin-form request target {@code uri} (path and optional query) with its path normalized: the same
     * instance when nothing changes.
     */
    String normalize(String uri) throws InvalidPath {
        if (mode == Sidecar.PathMode.NONE) {
            return uri;
        }
        if (uri.indexOf('#') >= 0) {
            // RFC 9112 section 3.2: a request target has no fragment; Envoy refuses one too.
            throw new InvalidPath("request target contains a fragment ('#')");
        }
        int query = uri.indexOf('?');
        int end = query < 0 ? uri.length() : query;
        if (!needsWork(uri, end)) {
            return uri;
        }
        String path = canonical(uri, end);
        if (path.length() == end && uri.regionMatches(0, path, 0, end)) {
            return uri;
        }
        if (mode == Sidecar.PathMode.REJECT) {
            throw new InvalidPath("path is not in normal form (it would be " + path + ")");
        }
        return query < 0 ? path : path + uri.substring(query);
    }

    /** Whether anything in the path may change: an escape, a backslash, a dot segment or a double slash. */
    private boolean needsWork(String uri, int end) {
        char previous = 0;
        for (int i = 0; i < end; i++) {
            char c = uri.charAt(i);
            if (c == '%' || c == '\\' || (c == '.' && previous == '/') || (c == '/' && previous == '/' && mergeSlashes)
                    || c < 0x21 || c > 0x7e) {
                return true;
            }
            previous = c;
        }
        return false;
    }

    private String canonical(String uri, int end) throws InvalidPath {
        StringBuilder decoded = new StringBuilder(end);
        for (int i = 0; i < end; i++) {
            char c = uri.charAt(i);
            if (c < 0x21 || c > 0x7e) {
                throw new InvalidPath("path contains a control, space or non-ASCII character");
            }
            if (c == '\\') {
                decoded.append('/');
                continue;
            }
            if (c != '%') {
                decoded.append(c);
                continue;
            }
            int hi = i + 2 < end ? Character.digit(uri.charAt(i + 1), 16) : -1;
            int lo = hi < 0 ? -1 : Character.digit(uri.charAt(i + 2), 16);
            if (lo < 0) {
                throw new InvalidPath("path has a '%' that is not followed by two hex digits");
            }
            char v = (char) (hi * 16 + lo);
            i += 2;
            if (v == 0) {
                throw new InvalidPath("path contains an encoded NUL (%00)");
            }
            if (unreserved(v)) {
                decoded.append(v);
            } else if (v == '/' || v == '\\') {
                switch (escapedSlashes) {
                    case DECODE -> decoded.append('/');
                    case REJECT -> throw new InvalidPath("path contains an encoded slash or backslash (%2F, %5C)");
                    default -> escape(decoded, v);
                }
            } else {
                escape(decoded, v);
            }
        }
        return removeDotSegments(decoded);
    }

    private static void escape(StringBuilder out, char v) {
        out.append('%').append(Character.toUpperCase(Character.forDigit(v >> 4, 16)))
                .append(Character.toUpperCase(Character.forDigit(v & 0xf, 16)));
    }

    private static boolean unreserved(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                || c == '-' || c == '.' || c == '_' || c == '~';
    }

    /**
     * RFC 3986 section 5.2.4 over a path that starts with {@code /}, segment by segment, merging empty segments
     * when configured. A path that does not start with {@code /} (asterisk form) is left alone.
     */
    private String removeDotSegments(StringBuilder in) throws InvalidPath {
        int n = in.length();
        if (n == 0 || in.charAt(0) != '/') {
            return in.toString();
        }
        StringBuilder out = new StringBuilder(n);
        int i = 0;
        while (i < n) {
            // in.charAt(i) == '/': the segment runs from i + 1 to the next '/' or the end.
            int next = i + 1;
            while (next < n && in.charAt(next) != '/') {
                next++;
            }
            int len = next - i - 1;
            boolean last = next == n;
            if (len == 1 && in.charAt(i + 1) == '.') {
                if (last) {
                    out.append('/');
                }
            } else if (len == 2 && in.charAt(i + 1) == '.' && in.charAt(i + 2) == '.') {
                int cut = out.lastIndexOf("/");
                if (cut < 0) {
                    throw new InvalidPath("path climbs above the root with '..'");
                }
                out.setLength(cut);
                if (last) {
                    out.append('/');
                }
            } else if (len == 0 && mergeSlashes && !last) {
                // An empty segment inside the path: '//' merges into '/'.
            } else if (len == 0 && mergeSlashes && out.length() > 0 && out.charAt(out.length() - 1) == '/') {
                // A trailing '//' after a kept '/'.
            } else {
                out.append(in, i, next);
            }
            i = next;
        }
        if (out.length() == 0) {
            out.append('/');
        }
        return out.toString();
    }
}
