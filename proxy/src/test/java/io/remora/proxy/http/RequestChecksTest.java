package io.remora.proxy.http;

import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.remora.config.Sidecar;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The checks a request head passes before routing, as functions of the head: each refusal and each rewrite. */
class RequestChecksTest {
    private static final RequestHeadRules RULES = new RequestHeadRules(Sidecar.Limits.defaults());

    private static HttpRequest h1(HttpMethod method, String uri, String... hosts) {
        HttpRequest req = new DefaultHttpRequest(HttpVersion.HTTP_1_1, method, uri);
        for (String host : hosts) {
            req.headers().add("host", host);
        }
        return req;
    }

    @Test
    void aValidOriginFormRequestPassesUnchanged() {
        HttpRequest req = h1(HttpMethod.GET, "/api/x?q=1", "api.t:8080");
        assertThat(RequestChecks.target(req, false, RULES)).isNull();
        assertThat(req.uri()).isEqualTo("/api/x?q=1");
    }

    @Test
    void absoluteFormBecomesOriginFormAndItsAuthorityReplacesHost() {
        HttpRequest req = h1(HttpMethod.GET, "http://api.t/admin/../api", "other.t");
        assertThat(RequestChecks.target(req, false, RULES)).isNull();
        assertThat(req.uri()).isEqualTo("/api");
        assertThat(req.headers().get("host")).isEqualTo("api.t");
    }

    @Test
    void hostMissingRepeatedOrMalformedOnHttp11IsA400() {
        assertThat(RequestChecks.target(h1(HttpMethod.GET, "/"), false, RULES).message())
                .isEqualTo("missing Host header (required by HTTP/1.1)");
        assertThat(RequestChecks.target(h1(HttpMethod.GET, "/", "a.t", "b.t"), false, RULES).message())
                .isEqualTo("invalid or repeated Host header");
        assertThat(RequestChecks.target(h1(HttpMethod.GET, "/", "a.t/x"), false, RULES).status())
                .isEqualTo(HttpResponseStatus.BAD_REQUEST);
        HttpRequest http10 = new DefaultHttpRequest(HttpVersion.HTTP_1_0, HttpMethod.GET, "/");
        assertThat(RequestChecks.target(http10, false, RULES)).isNull();
    }

    @Test
    void anHttp2PathMustBeAbsoluteOrAsteriskForOptions() {
        assertThat(RequestChecks.target(h1(HttpMethod.GET, "x"), true, RULES).message())
                .isEqualTo("invalid :path (expected /path or * for OPTIONS)");
        assertThat(RequestChecks.target(h1(HttpMethod.OPTIONS, "*"), true, RULES)).isNull();
        assertThat(RequestChecks.target(h1(HttpMethod.CONNECT, "api.t:443"), true, RULES)).isNull();
    }

    @Test
    void dotSegmentsAreResolvedAndAnEscapeAboveTheRootIsRefused() {
        HttpRequest req = h1(HttpMethod.GET, "/a/./b/../c", "api.t");
        assertThat(RequestChecks.target(req, false, RULES)).isNull();
        assertThat(req.uri()).isEqualTo("/a/c");
        assertThat(RequestChecks.target(h1(HttpMethod.GET, "/%2", "api.t"), false, RULES).message())
                .startsWith("invalid path: ");
    }

    @Test
    void moreHeaderFieldsThanTheLimitIsA431() {
        HttpRequest req = h1(HttpMethod.GET, "/", "api.t");
        for (int i = 0; i < RULES.maxHeaders; i++) {
            req.headers().add("x-h" + i, "v");
        }
        RequestChecks.Refusal r = RequestChecks.headerCount(req.headers(), RULES);
        assertThat(r.status()).isEqualTo(HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE);
        assertThat(r.message()).isEqualTo("too many header fields (more than " + RULES.maxHeaders + ")");
        req.headers().remove("x-h0");
        assertThat(RequestChecks.headerCount(req.headers(), RULES)).isNull();
    }

    @Test
    void aHeadTheDecoderCouldNotFrameGetsTheStatusOfItsFault() {
        assertThat(RequestChecks.malformed(new TooLongHttpHeaderException("big")).status())
                .isEqualTo(HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE);
        assertThat(RequestChecks.malformed(new TooLongHttpLineException("long")).status())
                .isEqualTo(HttpResponseStatus.REQUEST_URI_TOO_LONG);
        assertThat(RequestChecks.malformed(new IllegalArgumentException("bad")).message())
                .isEqualTo("malformed request: bad");
        assertThat(RequestChecks.malformed(null).message()).isEqualTo("malformed request: malformed request");
    }

    @Test
    void authoritiesAreUriHostWithAnOptionalNumericPort() {
        assertThat(RequestChecks.validAuthority("api.t")).isTrue();
        assertThat(RequestChecks.validAuthority("api.t:8080")).isTrue();
        assertThat(RequestChecks.validAuthority("[::1]:80")).isTrue();
        assertThat(RequestChecks.validAuthority("[::1")).isFalse();
        assertThat(RequestChecks.validAuthority("api.t:80x")).isFalse();
        assertThat(RequestChecks.validAuthority("a b")).isFalse();
        assertThat(RequestChecks.validAuthority("api.t@evil")).isFalse();
    }
}
