package io.remora.proxy.http;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.remora.config.Authority;

/**
 * The checks a request head passes before anything routes it, as functions: each returns null when the head may go
 * on (possibly rewritten into the one form every later step sees) or the {@link Refusal} the caller gets. They run
 * before routing because routing, authorization and the app must all see the same, valid target: a path or Host
 * that could be read two ways is refused here, never interpreted later.
 */
final class RequestChecks {
    private RequestChecks() {
    }

    /** A 4xx the proxy answers instead of forwarding: status and the reason the caller reads. */
    record Refusal(HttpResponseStatus status, String message) {
    }

    /** A head the decoder could not frame: too long a line or header block, or broken syntax. */
    static Refusal malformed(Throwable cause) {
        HttpResponseStatus s = HttpResponseStatus.BAD_REQUEST;
        String name = cause == null ? "" : cause.getClass().getSimpleName();
        if (name.equals("TooLongHttpHeaderException")) {
            s = HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE;
        } else if (name.equals("TooLongHttpLineException")) {
            s = HttpResponseStatus.REQUEST_URI_TOO_LONG;
        }
        String reason = cause == null || cause.getMessage() == null ? "malformed request" : cause.getMessage();
        return new Refusal(s, "malformed request: " + reason);
    }

    /**
     * The request target: absolute form turned into origin form (its authority replaces Host), Host present and
     * single on HTTP/1.1, and the path normalized. Rewrites {@code req} in place.
     */
    static Refusal target(HttpRequest req, boolean h2, RequestHeadRules rules) {
        HttpHeaders h = req.headers();
        if (!h2 && AbsoluteForm.isAbsolute(req.uri()) && req.method() != HttpMethod.CONNECT) {
            // RFC 9112 section 3.2.2: the target's authority replaces Host; routing and policies see that.
            try {
                AbsoluteForm.toOriginForm(req);
            } catch (AbsoluteForm.InvalidTarget e) {
                return new Refusal(HttpResponseStatus.BAD_REQUEST, e.getMessage());
            }
        }
        String authority = h.get(HttpHeaderNames.HOST);
        if (!h2 && req.protocolVersion() != io.netty.handler.codec.http.HttpVersion.HTTP_1_0 && authority == null) {
            return new Refusal(HttpResponseStatus.BAD_REQUEST, "missing Host header (required by HTTP/1.1)");
        }
        // RFC 9112 section 3.2: more than one Host field line, or a Host that is not uri-host[:port], is a 400.
        if (!h2 && (h.getAll(HttpHeaderNames.HOST).size() > 1
                || (authority != null && !validAuthority(authority)))) {
            return new Refusal(HttpResponseStatus.BAD_REQUEST, "invalid or repeated Host header");
        }
        return path(req, h2, rules.paths);
    }

    /**
     * The path every later step sees (routes, authorization, the app): normalized, so no spelling of a path can
     * reach what another spelling is refused.
     */
    static Refusal path(HttpRequest req, boolean h2, PathNormalizer paths) {
        String uri = req.uri();
        if (h2 && !uri.isEmpty() && uri.charAt(0) != '/' && !(uri.equals("*")
                && req.method() == HttpMethod.OPTIONS) && req.method() != HttpMethod.CONNECT) {
            return new Refusal(HttpResponseStatus.BAD_REQUEST, "invalid :path (expected /path or * for OPTIONS)");
        }
        if (req.method() == HttpMethod.CONNECT) {
            return null;
        }
        try {
            String normalized = paths.normalize(uri);
            if (normalized != uri) {
                req.setUri(normalized);
            }
            return null;
        } catch (PathNormalizer.InvalidPath e) {
            return new Refusal(HttpResponseStatus.BAD_REQUEST, "invalid path: " + e.getMessage());
        }
    }

    /** Counted after the hop-by-hop and HTTP/2 helper fields are gone: what would reach the app. */
    static Refusal headerCount(HttpHeaders h, RequestHeadRules rules) {
        if (h.size() > rules.maxHeaders) {
            return new Refusal(HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE,
                    "too many header fields (more than " + rules.maxHeaders + ")");
        }
        return null;
    }

    /** uri-host [ ":" port ] of RFC 3986 ({@link Authority#isUriHostPort}, the mesh's one authority grammar). */
    static boolean validAuthority(String a) {
        return Authority.isUriHostPort(a);
    }
}
