package io.remora.proxy.http;

import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.util.AsciiString;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * The words of HTTP/1.1 response heads that nearly every upstream sends, each once as a constant, matched exactly
 * against the bytes the decoder read: the version, the registered status codes with their standard reasons, and the
 * common header names in the two spellings upstreams use ({@code Content-Type} and {@code content-type}). A word
 * not here (another spelling, an unknown name, a custom reason) is copied as before. Tables are per length, so a
 * miss costs a length check or a few byte comparisons.
 */
final class ResponseHeadWords {
    private static final String[] CANONICAL_NAMES = {
        "Server", "Date", "Content-Type", "Content-Length", "Connection", "Keep-Alive", "Transfer-Encoding",
        "Cache-Control", "ETag", "Last-Modified", "Expires", "Vary", "Content-Encoding", "Content-Language",
        "Location", "Set-Cookie", "Accept-Ranges", "Age", "Allow", "Pragma", "Retry-After", "WWW-Authenticate",
        "Strict-Transport-Security", "X-Content-Type-Options", "X-Frame-Options", "Content-Security-Policy",
        "Access-Control-Allow-Origin", "Access-Control-Allow-Credentials", "Access-Control-Allow-Headers",
        "Access-Control-Allow-Methods", "Access-Control-Expose-Headers", "Access-Control-Max-Age",
        "Content-Disposition", "Content-Range", "Trailer", "Upgrade", "Sec-WebSocket-Accept",
        "Sec-WebSocket-Protocol", "Sec-WebSocket-Extensions", "X-Request-Id", "X-Powered-By", "Traceparent",
        "Grpc-Status", "Grpc-Message", "Grpc-Encoding", "Grpc-Accept-Encoding",
    };

    /** Every header name constant, canonical and lowercase spellings. */
    private static final List<AsciiString> ALL_NAMES = names();

    /** Header names by length: each entry's bytes are its spelling. */
    private static final AsciiString[][] NAMES = byLength(ALL_NAMES);

    /** The statuses 100–599 with a registered meaning, by code; null elsewhere. */
    private static final HttpResponseStatus[] KNOWN = new HttpResponseStatus[600];

    static {
        for (int code = 100; code < 600; code++) {
            HttpResponseStatus status = HttpResponseStatus.valueOf(code);
            if (!status.reasonPhrase().startsWith("Unknown Status")) {
                KNOWN[code] = status;
            }
        }
    }

    private ResponseHeadWords() {
    }

    /** The header name constants {@link #name} returns: the only instances a decoded head's known names are. */
    static List<AsciiString> headerNames() {
        return ALL_NAMES;
    }

    /** The constant spelled by {@code sb[start, start + length)} exactly, or null. */
    static AsciiString name(byte[] sb, int start, int length) {
        if (length >= NAMES.length) {
            return null;
        }
        AsciiString[] candidates = NAMES[length];
        if (candidates == null) {
            return null;
        }
        for (AsciiString candidate : candidates) {
            if (equal(candidate, sb, start, length)) {
                return candidate;
            }
        }
        return null;
    }

    /** The registered status code the bytes spell in three digits, or 0. */
    static int code(byte[] sb, int start, int length) {
        if (length != 3) {
            return 0;
        }
        int code = digit(sb[start]) * 100 + digit(sb[start + 1]) * 10 + digit(sb[start + 2]);
        return code >= 100 && code < 600 && KNOWN[code] != null ? code : 0;
    }

    /** A code {@link #code} gave, as its string (the status constant's, made once). */
    static String status(int code) {
        return KNOWN[code].codeAsText().toString();
    }

    /** The standard reason of {@code code} (one {@link #code} gave, or 0) when the bytes spell it exactly, or null. */
    static String reason(int code, byte[] sb, int start, int length) {
        if (code == 0) {
            return null;
        }
        String reason = KNOWN[code].reasonPhrase();
        return equal(reason, sb, start, length) ? reason : null;
    }

    /** Whether {@code sb[start, start + length)} spells {@code word} (ASCII) exactly. */
    static boolean equal(CharSequence word, byte[] sb, int start, int length) {
        if (word.length() != length) {
            return false;
        }
        for (int i = 0; i < length; i++) {
            if (word.charAt(i) != sb[start + i]) {
                return false;
            }
        }
        return true;
    }

    /** A decimal digit's value, or a value that makes any code it is part of out of range. */
    private static int digit(byte b) {
        return b >= '0' && b <= '9' ? b - '0' : 1000;
    }

    private static List<AsciiString> names() {
        List<AsciiString> all = new ArrayList<>();
        for (String name : CANONICAL_NAMES) {
            all.add(AsciiString.cached(name));
            String lower = name.toLowerCase(Locale.ROOT);
            if (!lower.equals(name)) {
                all.add(AsciiString.cached(lower));
            }
        }
        return List.copyOf(all);
    }

    private static AsciiString[][] byLength(List<AsciiString> names) {
        int max = 0;
        for (AsciiString name : names) {
            max = Math.max(max, name.length());
        }
        AsciiString[][] table = new AsciiString[max + 1][];
        for (AsciiString name : names) {
            AsciiString[] old = table[name.length()];
            AsciiString[] grown = old == null ? new AsciiString[1] : Arrays.copyOf(old, old.length + 1);
            grown[grown.length - 1] = name;
            table[name.length()] = grown;
        }
        return table;
    }
}
