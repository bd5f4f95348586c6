package io.remora.proxy.admin;

import io.netty.channel.Channel;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.remora.proxy.log.RequestTap;

import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;

/**
 * Opens {@code GET /debug/tap}: checks that the reader is on loopback (the lines carry paths and identities) and its
 * filter, writes a chunked {@code application/x-ndjson} head, and subscribes the connection to the proxy's
 * {@link RequestTap}; the stream ends when the reader closes.
 */
final class TapStream {
    private TapStream() {
    }

    static AdminHttp.Response open(RequestTap tap, Map<String, List<String>> query, Channel ch) {
        if (tap == null) {
            return AdminHttp.Response.text(HttpResponseStatus.NOT_FOUND, "no tap here\n");
        }
        if (!(ch.remoteAddress() instanceof InetSocketAddress peer) || !peer.getAddress().isLoopbackAddress()) {
            return AdminHttp.Response.text(HttpResponseStatus.FORBIDDEN, "the tap is served on loopback only\n");
        }
        RequestTap.Filter filter;
        try {
            filter = new RequestTap.Filter(one(query, "path"), one(query, "authority"), statusClass(one(query,
                    "status")));
        } catch (IllegalArgumentException e) {
            return AdminHttp.Response.text(HttpResponseStatus.BAD_REQUEST, e.getMessage() + "\n");
        }
        if (filter.pathPrefix() != null && !filter.pathPrefix().startsWith("/")) {
            return AdminHttp.Response.text(HttpResponseStatus.BAD_REQUEST,
                    "path must be a path prefix starting with '/' (e.g. path=/api)\n");
        }
        HttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
        head.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/x-ndjson")
                .set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED)
                .set(HttpHeaderNames.CACHE_CONTROL, "no-store");
        if (tap.readers() >= RequestTap.MAX_READERS) {
            return AdminHttp.Response.text(HttpResponseStatus.SERVICE_UNAVAILABLE,
                    "too many tap readers (at most " + RequestTap.MAX_READERS + ")\n");
        }
        ch.writeAndFlush(head);
        if (tap.subscribe(ch, filter) == null) {
            ch.close();
        }
        return null;
    }

    private static String one(Map<String, List<String>> query, String name) {
        List<String> v = query.get(name);
        return v == null || v.isEmpty() ? null : v.get(v.size() - 1);
    }

    /** {@code 2xx}..{@code 5xx} (or {@code 2}) to its digit; null to 0 (any). */
    static int statusClass(String text) {
        if (text == null) {
            return 0;
        }
        String t = text.toLowerCase();
        if ((t.length() == 3 && t.endsWith("xx") || t.length() == 1) && t.charAt(0) >= '1' && t.charAt(0) <= '5') {
            return t.charAt(0) - '0';
        }
        throw new IllegalArgumentException("status must be a class, 1xx to 5xx (e.g. status=5xx), not \"" + text
                + "\"");
    }
}
