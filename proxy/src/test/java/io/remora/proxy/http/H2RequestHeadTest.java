package io.remora.proxy.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.Http2Exception;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.HttpConversionUtil;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@link H2RequestHead} gives the head Netty's {@code HttpConversionUtil.toHttpRequest} / {@code toFullHttpRequest}
 * gives once {@link HopByHop#strip} has run on it (as {@link HttpExchange#begin} runs it): method, target, version and
 * every field in order, for the HEADERS clients send and for those it hands to Netty. Each case is the HEADERS as
 * {@code name: value} lines, pseudo-headers first.
 */
class H2RequestHeadTest {
    @ParameterizedTest
    @ValueSource(strings = {
        ":method: GET\n:scheme: http\n:authority: 127.0.0.1:18110\n:path: /",
        ":method: GET\n:scheme: https\n:path: /index.html?q=1\n:authority: example\nuser-agent: h2load nghttp2/1.52.0"
            + "\naccept: */*\naccept-encoding: gzip",
        ":method: POST\n:scheme: http\n:authority: svc\n:path: /pkg.Svc/Call\ncontent-type: application/grpc\nte: "
            + "trailers\ngrpc-timeout: 1S\nx-b3-traceid: 1",
        ":method: GET\n:scheme: http\n:path: /no-authority\nx-a: 1\nx-a: 2",
        ":method: get\n:scheme: http\n:authority: a\n:path: /lower-case-method",
        ":method: PURGE\n:scheme: http\n:authority: a\n:path: *",
        ":method: GET\n:scheme: http\n:authority: a\n:path: /\ncookie: a=1\ncookie: b=2",
        ":method: GET\n:scheme: http\n:authority: a\n:path: /\nhost: a",
        ":method: GET\n:scheme: http\n:path: /\nhost: only-host",
        ":method: GET\n:scheme: http\n:authority: a\n:path: /\ntrailer: x-checksum",
        ":method: GET\n:scheme: http\n:authority: a\n:path: /\nx-http2-scheme: ftp\nx-http2-stream-id: 9"
            + "\nx-http2-path: /x",
        ":method: CONNECT\n:authority: example:443",
        ":method: CONNECT\n:protocol: websocket\n:scheme: https\n:authority: a\n:path: /chat",
        ":method: GET\n:scheme: http\n:authority: a\n:path: /\nconnection: keep-alive\ntransfer-encoding: chunked",
        ":method: GET\n:scheme: http\n:authority: a\n:path: /\nx-forwarded-for: 10.0.0.1\nx-request-id: r1",
        ":method: GET\n:scheme: http\n:authority: a\n:authority: b\n:path: /two-authorities",
    })
    void givesWhatNettyGivesOnceTheHelpersAreStripped(String lines) throws Http2Exception {
        for (boolean full : new boolean[] {false, true}) {
            HttpRequest ours = H2RequestHead.of(3, headers(lines), full);
            HttpRequest netty = full
                    ? HttpConversionUtil.toFullHttpRequest(3, headers(lines), Unpooled.EMPTY_BUFFER, true)
                    : HttpConversionUtil.toHttpRequest(3, headers(lines), true);
            HopByHop.strip(ours.headers(), false);
            HopByHop.strip(netty.headers(), false);

            assertThat(describe(ours)).as("%s, full: %s", lines, full).isEqualTo(describe(netty));
            assertThat(ours instanceof FullHttpRequest).isEqualTo(full);
            if (ours instanceof FullHttpRequest f) {
                assertThat(f.content().readableBytes()).isZero();
                assertThat(f.trailingHeaders().isEmpty()).isTrue();
                f.release();
                ((FullHttpRequest) netty).release();
            }
        }
    }

    @Test
    void aConflictingHostIsRefusedAsNettyRefusesIt() {
        String lines = ":method: GET\n:scheme: http\n:authority: a\n:path: /\nhost: b";
        assertThatThrownBy(() -> HttpConversionUtil.toHttpRequest(3, headers(lines), true))
                .isInstanceOf(Http2Exception.class);
        assertThatThrownBy(() -> H2RequestHead.of(3, headers(lines), false))
                .isInstanceOf(Http2Exception.class).hasMessageContaining("Conflicting");
    }

    @Test
    void aRequestWithoutAPathFailsAsNettysConversionFails() {
        String lines = ":method: GET\n:scheme: http\n:authority: a";
        assertThatThrownBy(() -> H2RequestHead.of(3, headers(lines), true))
                .isInstanceOf(NullPointerException.class).hasMessageContaining("path");
    }

    private static Http2Headers headers(String lines) {
        // Not validated, so that the fields the HPACK decoder refuses (connection, transfer-encoding) can be given too.
        Http2Headers h = new DefaultHttp2Headers(false, false, 8);
        for (String line : lines.split("\n")) {
            int colon = line.indexOf(':', 1);
            h.add(line.substring(0, colon), line.substring(colon + 1).strip());
        }
        return h;
    }

    private static List<String> describe(HttpRequest req) {
        List<String> out = new ArrayList<>();
        out.add(req.method() + " " + req.uri() + " " + req.protocolVersion());
        for (Map.Entry<CharSequence, CharSequence> e : (Iterable<Map.Entry<CharSequence, CharSequence>>)
                req.headers()::iteratorCharSequence) {
            out.add(e.getKey() + ": " + e.getValue());
        }
        return out;
    }
}
