package io.remora.proxy.http;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;

/**
 * An HTTP/1.1 request in absolute form ({@code GET http://host:port/path HTTP/1.1}), which clients send to a proxy.
 * RFC 9112 section 3.2.2: a proxy replaces {@code Host} with the target's authority, so the authority is what the
 * request is routed and authorized by; the origin form ({@code /path?query}) is what goes on to the upstream.
 */
final class AbsoluteForm {
    private AbsoluteForm() {
    }

    /** Thrown for an absolute target that cannot be used: no authority, user info, a scheme other than http(s). */
    static final class InvalidTarget extends Exception {
        InvalidTarget(String message) {
            super(message, null, false, false);
        }
    }

    /** Whether the request target is not origin form ({@code /...}) nor asterisk form ({@code *}). */
    static boolean isAbsolute(String uri) {
        return !uri.isEmpty() && uri.charAt(0) != '/' && !uri.equals("*");
    }

    /** Rewrites {@code req} in place: {@code Host} from the target's authority, the target in origin form. */
    static void toOriginForm(HttpRequest req) throws InvalidTarget {
        String uri = req.uri();
        int colon = uri.indexOf("://");
        if (colon <= 0) {
            throw new InvalidTarget("request target is neither origin form (/path) nor absolute form (http://host/path)");
        }
        String scheme = uri.substring(0, colon);
        if (!scheme.equalsIgnoreCase("http") && !scheme.equalsIgnoreCase("https")) {
            throw new InvalidTarget("request target has scheme '" + scheme + "', expected http or https");
        }
        int start = colon + 3;
        int end = start;
        while (end < uri.length() && "/?#".indexOf(uri.charAt(end)) < 0) {
            end++;
        }
        String authority = uri.substring(start, end);
        if (authority.isEmpty()) {
            throw new InvalidTarget("absolute request target has no authority");
        }
        if (authority.indexOf('@') >= 0) {
            throw new InvalidTarget("absolute request target carries user info, which HTTP forbids (RFC 9110 4.2.4)");
        }
        String rest = uri.substring(end);
        req.setUri(rest.isEmpty() || rest.charAt(0) != '/' ? "/" + rest : rest);
        req.headers().set(HttpHeaderNames.HOST, authority);
    }
}
