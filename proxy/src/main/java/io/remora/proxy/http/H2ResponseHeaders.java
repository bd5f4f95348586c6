package io.remora.proxy.http;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http2.CharSequenceMap;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.EmptyHttp2Headers;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.HttpConversionUtil;
import io.netty.handler.codec.http2.HttpConversionUtil.ExtensionHeaderNames;
import io.netty.util.AsciiString;

import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.Locale;
import java.util.Map;

/**
 * A response head or trailers (HTTP/1.1 form, as the exchange speaks) as HTTP/2 headers: what Netty's
 * {@code HttpConversionUtil.toHttp2Headers(…, true)} gives, without what it allocates per response beyond the headers
 * themselves. It lowercases every name into a new string (an upstream's {@code Content-Type} and {@code Date} are
 * never lowercase) and makes a map of the {@code Connection} header's tokens even when there is none; here a name the
 * table knows, in any case, is its lowercase constant, and a head that has a {@code Connection}, {@code TE} or
 * {@code Cookie} header (which the exchange's hop-by-hop step leaves none of, but trailers may hold) is Netty's to
 * convert. The names left out are Netty's: the connection-specific ones and its {@code x-http2-*} helpers.
 * {@code H2ResponseHeadersTest} holds the two to the same output.
 *
 * <p>The copy is not validated again: every name and value of a response's {@code HttpHeaders} was validated when it
 * went in (the HTTP/1.1 decoder, the HTTP/2 upstream's conversion, the proxy's own headers, all on validating
 * header maps), a name lowercased stays a token, and HTTP/2's value rule is HTTP/1.1's. Netty's conversion validates
 * each name and value a second time (about 1.5 % of an h2c request's CPU).
 */
final class H2ResponseHeaders {
    /** Marks a name the table knows as one HTTP/2 does not carry. */
    private static final AsciiString DROPPED = AsciiString.cached("");

    /** Names, matched without case, to their lowercase constant (or {@link #DROPPED}). */
    private static final CharSequenceMap<AsciiString> NAMES = new CharSequenceMap<>(false);

    /**
     * The same answers by identity for the name constants an upstream HTTP/1.1 head is decoded into
     * ({@link ResponseHeadWords}): no hash or case-blind comparison for the usual names, and the lowercase form of
     * each of them made once.
     */
    private static final Map<CharSequence, AsciiString> DECODED = new IdentityHashMap<>();

    static {
        for (AsciiString name : new AsciiString[] {
            HttpHeaderNames.CONTENT_TYPE, HttpHeaderNames.CONTENT_LENGTH, HttpHeaderNames.DATE, HttpHeaderNames.SERVER,
            HttpHeaderNames.CACHE_CONTROL, HttpHeaderNames.ETAG, HttpHeaderNames.LAST_MODIFIED, HttpHeaderNames.EXPIRES,
            HttpHeaderNames.VARY, HttpHeaderNames.CONTENT_ENCODING, HttpHeaderNames.CONTENT_LANGUAGE,
            HttpHeaderNames.LOCATION, HttpHeaderNames.SET_COOKIE, HttpHeaderNames.ACCEPT_RANGES, HttpHeaderNames.AGE,
            HttpHeaderNames.ALLOW, HttpHeaderNames.PRAGMA, HttpHeaderNames.RETRY_AFTER, HttpHeaderNames.WWW_AUTHENTICATE,
            AsciiString.cached("strict-transport-security"), AsciiString.cached("x-content-type-options"),
            HttpHeaderNames.X_FRAME_OPTIONS, HttpHeaderNames.CONTENT_SECURITY_POLICY,
            HttpHeaderNames.ACCESS_CONTROL_ALLOW_ORIGIN, HttpHeaderNames.ACCESS_CONTROL_ALLOW_CREDENTIALS,
            HttpHeaderNames.ACCESS_CONTROL_ALLOW_HEADERS, HttpHeaderNames.ACCESS_CONTROL_ALLOW_METHODS,
            HttpHeaderNames.ACCESS_CONTROL_EXPOSE_HEADERS, HttpHeaderNames.ACCESS_CONTROL_MAX_AGE,
            HttpHeaderNames.CONTENT_DISPOSITION, HttpHeaderNames.CONTENT_RANGE, HttpHeaderNames.TRAILER,
            AsciiString.cached("grpc-status"), AsciiString.cached("grpc-message"),
            AsciiString.cached("grpc-encoding"), AsciiString.cached("grpc-accept-encoding"),
            AsciiString.cached("x-request-id"), AsciiString.cached("traceparent"), PeerMetadata.PEER,
            PeerMetadata.SERVICE}) {
            NAMES.add(name, name);
        }
        @SuppressWarnings("deprecation")
        AsciiString[] dropped = {HttpHeaderNames.KEEP_ALIVE, HttpHeaderNames.PROXY_CONNECTION,
            HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderNames.HOST, HttpHeaderNames.UPGRADE,
            ExtensionHeaderNames.STREAM_ID.text(), ExtensionHeaderNames.SCHEME.text(),
            ExtensionHeaderNames.PATH.text(), ExtensionHeaderNames.PROTOCOL.text()};
        for (AsciiString name : dropped) {
            NAMES.add(name, DROPPED);
        }
        for (AsciiString word : ResponseHeadWords.headerNames()) {
            AsciiString target = NAMES.get(word);
            DECODED.put(word, target != null ? target : AsciiString.cached(word.toString().toLowerCase(Locale.ROOT)));
        }
    }

    private H2ResponseHeaders() {
    }

    /** The HEADERS of a response head: {@code :status}, then its headers (anything but a response: Netty's). */
    static Http2Headers head(HttpMessage head) {
        HttpHeaders in = head.headers();
        if (!(head instanceof HttpResponse response) || needsNetty(in)) {
            return HttpConversionUtil.toHttp2Headers(head, true);
        }
        Http2Headers out = new DefaultHttp2Headers(false, in.size());
        out.status(response.status().codeAsText());
        copy(in, out);
        return out;
    }

    /** The trailing HEADERS of a response. */
    static Http2Headers trailers(HttpHeaders in) {
        if (in.isEmpty()) {
            return EmptyHttp2Headers.INSTANCE;
        }
        if (needsNetty(in)) {
            return HttpConversionUtil.toHttp2Headers(in, true);
        }
        Http2Headers out = new DefaultHttp2Headers(false, in.size());
        copy(in, out);
        return out;
    }

    /** Headers whose conversion is more than a copy: tokens of {@code Connection} to drop, {@code TE}, cookies. */
    private static boolean needsNetty(HttpHeaders in) {
        return in.contains(HttpHeaderNames.CONNECTION) || in.contains(HttpHeaderNames.TE)
                || in.contains(HttpHeaderNames.COOKIE);
    }

    private static void copy(HttpHeaders in, Http2Headers out) {
        Iterator<Map.Entry<CharSequence, CharSequence>> it = in.iteratorCharSequence();
        while (it.hasNext()) {
            Map.Entry<CharSequence, CharSequence> e = it.next();
            AsciiString name = DECODED.get(e.getKey());
            if (name == null) {
                name = NAMES.get(e.getKey());
            }
            if (name == null) {
                name = AsciiString.of(e.getKey()).toLowerCase();
                // The table knows every dropped name in every case; an unknown one is carried.
            } else if (name == DROPPED) {
                continue;
            }
            out.add(name, e.getValue());
        }
    }
}
