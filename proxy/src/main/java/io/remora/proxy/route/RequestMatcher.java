package io.remora.proxy.route;

import io.netty.handler.codec.http.HttpHeaders;
import io.netty.util.AsciiString;
import io.remora.config.Route;

import java.util.Map;

/**
 * A compiled {@link Route.Match}: path, method and headers must all hold; an absent condition holds for every
 * request. Header names are compared case-insensitively (by {@link HttpHeaders}); a header's first value is tested.
 */
final class RequestMatcher {
    private final StringMatcher path;
    private final String method;
    private final AsciiString[] headerNames;
    private final StringMatcher[] headerValues;

    private RequestMatcher(StringMatcher path, String method, AsciiString[] headerNames,
                           StringMatcher[] headerValues) {
        this.path = path;
        this.method = method;
        this.headerNames = headerNames;
        this.headerValues = headerValues;
    }

    static RequestMatcher compile(Route.Match match, String where) {
        StringMatcher path = match.path() == null ? null : StringMatcher.compile(match.path(), where + ".path");
        int n = match.headers().size();
        AsciiString[] names = new AsciiString[n];
        StringMatcher[] values = new StringMatcher[n];
        int i = 0;
        for (Map.Entry<String, Route.StringMatch> e : match.headers().entrySet()) {
            names[i] = AsciiString.of(e.getKey()).toLowerCase();
            values[i] = StringMatcher.compile(e.getValue(), where + ".headers." + e.getKey());
            i++;
        }
        return new RequestMatcher(path, match.method(), names, values);
    }

    /**
     * Why this match does not select the request, for {@code /debug/explain}: the first condition that fails, in
     * the order {@link #matches} tests them; null when it matches. Built only when asked.
     */
    String mismatch(CharSequence method, CharSequence target, int pathEnd, HttpHeaders headers) {
        if (path != null && !path.matches(target, pathEnd)) {
            return "path " + target.subSequence(0, pathEnd) + " is not " + path;
        }
        if (this.method != null && (method == null || !this.method.contentEquals(method))) {
            return "method " + method + " is not " + this.method;
        }
        for (int i = 0; i < headerNames.length; i++) {
            String value = headers == null ? null : headers.get(headerNames[i]);
            if (value == null) {
                return "header " + headerNames[i] + " is absent (wanted " + headerValues[i] + ")";
            }
            if (!headerValues[i].matches(value)) {
                return "header " + headerNames[i] + " \"" + value + "\" is not " + headerValues[i];
            }
        }
        return null;
    }

    /** @param pathEnd where the path ends in {@code target} (the start of the query string, or its length) */
    boolean matches(CharSequence method, CharSequence target, int pathEnd, HttpHeaders headers) {
        if (path != null && !path.matches(target, pathEnd)) {
            return false;
        }
        if (this.method != null && (method == null || !this.method.contentEquals(method))) {
            return false;
        }
        for (int i = 0; i < headerNames.length; i++) {
            if (headers == null || !headerValues[i].matches(headers.get(headerNames[i]))) {
                return false;
            }
        }
        return true;
    }
}
