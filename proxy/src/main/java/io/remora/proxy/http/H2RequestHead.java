package io.remora.proxy.http;

import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.DefaultHttpHeadersFactory;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpHeadersFactory;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http2.Http2Exception;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.HttpConversionUtil;
import io.netty.util.AsciiString;

import java.util.Iterator;
import java.util.Map;

/**
 * An HTTP/2 request's HEADERS as the HTTP/1.1 request head the exchange reads: what Netty's
 * {@code HttpConversionUtil.toHttpRequest(streamId, headers, true)} gives once {@link HopByHop#strip} has removed
 * the {@code x-http2-*} helper headers it adds ({@code x-http2-scheme}, {@code x-http2-stream-id}), without adding
 * them, and without validating the fields a second time: the downstream HPACK decoder ({@code validateHeaders(true)}
 * in {@link H2DownstreamHandler}) already refused a name that is not a lowercase token, a misplaced pseudo-header,
 * the connection-specific fields and a value with a NUL, CR or LF (a stream error; {@code HardeningTest} sends one),
 * so each is checked once.
 *
 * <p>A head that takes more than a copy is Netty's to convert: {@code CONNECT} (its target is the authority, and
 * Extended CONNECT keeps its pseudo-headers), a missing {@code :method} or {@code :path} (Netty's error), cookies
 * (joined into one field), a {@code host} field (checked against {@code :authority}), {@code trailer} (dropped),
 * any {@code x-http2-*} name (dropped), and the {@code connection} and {@code transfer-encoding} fields the HPACK
 * decoder refuses anyway (Netty drops them). {@code H2RequestHeadTest} holds the two to the same head.
 */
final class H2RequestHead {
    /** Names and values validated by the HPACK decoder. */
    private static final HttpHeadersFactory HEADERS = DefaultHttpHeadersFactory.headersFactory().withValidation(false);
    private static final HttpHeadersFactory TRAILERS = DefaultHttpHeadersFactory.trailersFactory();
    private static final AsciiString X_HTTP2 = AsciiString.cached("x-http2-");

    private H2RequestHead() {
    }

    /**
     * The head of a request stream's HEADERS; {@code full} (the HEADERS end the stream) gives a request with no body,
     * as {@code HttpConversionUtil.toFullHttpRequest(streamId, headers, EMPTY_BUFFER, true)} does.
     */
    static HttpRequest of(int streamId, Http2Headers in, boolean full) throws Http2Exception {
        CharSequence method = in.method();
        CharSequence path = in.path();
        if (method == null || path == null || HttpMethod.CONNECT.asciiName().contentEqualsIgnoreCase(method)) {
            return netty(streamId, in, full);
        }
        HttpHeaders out = HEADERS.newHeaders();
        CharSequence authority = in.authority();
        if (authority != null) {
            out.add(HttpHeaderNames.HOST, authority);
        }
        boolean authoritySeen = false;
        Iterator<Map.Entry<CharSequence, CharSequence>> it = in.iterator();
        while (it.hasNext()) {
            Map.Entry<CharSequence, CharSequence> e = it.next();
            CharSequence name = e.getKey();
            if (name.length() == 0) {
                return netty(streamId, in, full);
            }
            if (name.charAt(0) == ':') {
                if (Http2Headers.PseudoHeaderName.AUTHORITY.value().contentEquals(name)) {
                    if (authoritySeen) {
                        // Each one becomes a Host field there, and two are refused as a bad Host.
                        return netty(streamId, in, full);
                    }
                    authoritySeen = true;
                } else if (!Http2Headers.PseudoHeaderName.METHOD.value().contentEquals(name)
                        && !Http2Headers.PseudoHeaderName.PATH.value().contentEquals(name)
                        && !Http2Headers.PseudoHeaderName.SCHEME.value().contentEquals(name)) {
                    return netty(streamId, in, full);
                }
            } else if (needsNetty(name)) {
                return netty(streamId, in, full);
            } else {
                out.add(name, e.getValue());
            }
        }
        HttpMethod m = HttpMethod.valueOf(method.toString());
        return full
                ? new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, m, path.toString(), Unpooled.EMPTY_BUFFER, out,
                        TRAILERS.newHeaders())
                : new DefaultHttpRequest(HttpVersion.HTTP_1_1, m, path.toString(), out);
    }

    /** A field whose conversion is more than a copy (see the class comment). */
    private static boolean needsNetty(CharSequence name) {
        char first = name.charAt(0);
        return first == 'c' && (HttpHeaderNames.COOKIE.contentEqualsIgnoreCase(name)
                        || HttpHeaderNames.CONNECTION.contentEqualsIgnoreCase(name))
                || first == 'h' && HttpHeaderNames.HOST.contentEqualsIgnoreCase(name)
                || first == 't' && (HttpHeaderNames.TRAILER.contentEqualsIgnoreCase(name)
                        || HttpHeaderNames.TRANSFER_ENCODING.contentEqualsIgnoreCase(name))
                || first == 'x' && AsciiString.regionMatches(name, true, 0, X_HTTP2, 0, X_HTTP2.length());
    }

    /** Netty's conversion, without the helpers it adds, as {@link HopByHop#strip} leaves it. */
    private static HttpRequest netty(int streamId, Http2Headers in, boolean full) throws Http2Exception {
        HttpRequest req = full
                ? HttpConversionUtil.toFullHttpRequest(streamId, in, Unpooled.EMPTY_BUFFER, true)
                : HttpConversionUtil.toHttpRequest(streamId, in, true);
        req.headers().remove(HttpConversionUtil.ExtensionHeaderNames.SCHEME.text());
        req.headers().remove(HttpConversionUtil.ExtensionHeaderNames.STREAM_ID.text());
        return req;
    }
}
