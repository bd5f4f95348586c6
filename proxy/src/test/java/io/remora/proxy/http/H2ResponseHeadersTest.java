package io.remora.proxy.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http2.EmptyHttp2Headers;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.HttpConversionUtil;
import io.netty.util.AsciiString;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@link H2ResponseHeaders} gives what Netty's {@code HttpConversionUtil.toHttp2Headers(…, true)} gives, name for name
 * and value for value in the same order, for response heads and trailers as upstreams send them: the common names in
 * any case, unknown ones, repeated ones, the connection-specific ones HTTP/2 leaves out, and the heads it hands to
 * Netty ({@code Connection} tokens, {@code TE}, {@code Cookie}). Heads are written {@code Name: value} per line.
 */
class H2ResponseHeadersTest {
    @ParameterizedTest
    @ValueSource(strings = {
        "",
        "Server: nginx/1.22.1\nDate: Fri, 04 Dec 2026 19:36:31 GMT\nContent-Type: text/plain\nContent-Length: 3",
        "CONTENT-TYPE: application/json\ncontent-length: 17\nDaTe: x",
        "Set-Cookie: a=1; Path=/\nSet-Cookie: b=2\nVary: Accept-Encoding\nVary: Origin",
        "X-Custom-Thing: 1\nx-lower: 2\nX-UPPER: 3\nx-remora-peer: workload=w",
        "Keep-Alive: timeout=5\nTransfer-Encoding: chunked\nHost: example\nUpgrade: h2c\nProxy-Connection: close"
            + "\nx-http2-stream-id: 3\nX-Http2-Scheme: https\nx-http2-path: /\nx-http2-protocol: websocket\nA: b",
        "Connection: x-hop\nX-Hop: 1\nX-Kept: 2",
        "connection: keep-alive\nContent-Length: 0",
        "TE: trailers, deflate\nContent-Type: text/plain",
        "Te: gzip\nServer: s",
        "Cookie: a=b; c=d\nServer: s",
        "grpc-status: 0\ngrpc-message: ok\nGrpc-Encoding: gzip",
        "Location: /there\nCache-Control: no-store\nETag: \"x\"\nLast-Modified: x\nExpires: 0\nAge: 1",
        "Content-Encoding: gzip\nContent-Length: 10\nContent-Encoding: br",
        "Strict-Transport-Security: max-age=1\nX-Content-Type-Options: nosniff\nAccess-Control-Allow-Origin: *",
    })
    void givesWhatNettyGives(String head) {
        for (HttpResponseStatus status : List.of(HttpResponseStatus.OK, HttpResponseStatus.NO_CONTENT,
                HttpResponseStatus.NOT_FOUND, HttpResponseStatus.valueOf(599))) {
            HttpResponse response = new DefaultHttpResponse(HttpVersion.HTTP_1_1, status);
            response.headers().add(headers(head));

            assertThat(pairs(H2ResponseHeaders.head(response)))
                    .isEqualTo(pairs(HttpConversionUtil.toHttp2Headers(response, true)));
        }
        HttpHeaders trailers = headers(head);
        assertThat(pairs(H2ResponseHeaders.trailers(trailers)))
                .isEqualTo(pairs(HttpConversionUtil.toHttp2Headers(trailers, true)));
    }

    /** Every name constant a decoded upstream head can hold (looked up by identity) converts as Netty converts it. */
    @Test
    void everyDecodedNameConstantGivesWhatNettyGives() {
        for (AsciiString name : ResponseHeadWords.headerNames()) {
            HttpResponse response = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
            response.headers().add(name, "v").add(AsciiString.cached("X-After"), "1");
            assertThat(pairs(H2ResponseHeaders.head(response))).as(name.toString())
                    .isEqualTo(pairs(HttpConversionUtil.toHttp2Headers(response, true)));
        }
    }

    @Test
    void noTrailersAreTheEmptyHeaders() {
        assertThat(H2ResponseHeaders.trailers(new DefaultHttpHeaders())).isSameAs(EmptyHttp2Headers.INSTANCE);
    }

    @Test
    void aKnownNameIsItsLowercaseConstantWhateverItsCase() {
        HttpResponse response = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
        response.headers().add("CONTENT-type", "text/plain");

        CharSequence name = H2ResponseHeaders.head(response).names().stream()
                .filter(n -> !n.toString().startsWith(":")).findFirst().orElseThrow();

        assertThat(name).isSameAs(io.netty.handler.codec.http.HttpHeaderNames.CONTENT_TYPE);
    }

    @Test
    void aRequestIsNettysToConvert() {
        DefaultHttpRequest request = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/p?q=1");
        request.headers().add("Host", "example").add("X-A", "1").add("x-http2-scheme", "http");

        assertThat(pairs(H2ResponseHeaders.head(request)))
                .isEqualTo(pairs(HttpConversionUtil.toHttp2Headers(request, true)));
    }

    private static HttpHeaders headers(String lines) {
        HttpHeaders h = new DefaultHttpHeaders();
        for (String line : lines.split("\n")) {
            if (!line.isEmpty()) {
                int colon = line.indexOf(':');
                h.add(line.substring(0, colon), line.substring(colon + 1).strip());
            }
        }
        return h;
    }

    private static List<String> pairs(Http2Headers h) {
        List<String> out = new ArrayList<>();
        for (Map.Entry<CharSequence, CharSequence> e : h) {
            out.add(e.getKey() + ": " + e.getValue());
        }
        return out;
    }
}
