package io.remora.proxy.it.edge;

import io.remora.config.testing.TestMesh;
import io.remora.proxy.ProxyServer;
import io.remora.proxy.it.edge.Edge.RawResult;
import io.remora.proxy.it.edge.Edge.Reply;
import io.remora.proxy.testing.HttpTestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.stream.Stream;

import static io.remora.config.testing.TestMesh.service;
import static io.remora.config.testing.TestMesh.sidecar;
import static io.remora.proxy.it.edge.Edge.ascii;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.params.provider.Arguments.arguments;

/**
 * Requests the proxy must refuse itself, sent as exact bytes on raw sockets to the explicit listener of an HTTP
 * service: the answer (400/414/431 with flag DPE), the connection closed afterwards, nothing reaching the upstream,
 * and the proxy still serving the next connection.
 */
@Timeout(60)
class MalformedRequestTest {
    private static final int MAX_LINE = 256;
    private static final int MAX_HEADERS = 1024;
    private static final Duration WAIT = Duration.ofSeconds(3);

    private static HttpTestServer app;
    private static ProxyServer proxy;
    private static InetSocketAddress listener;

    @BeforeAll
    static void start() throws Exception {
        app = new HttpTestServer("app");
        proxy = Edge.start(TestMesh.of(
                sidecar("edge", "test").threads(2)
                        .set("limits", "{maxRequestLineBytes: " + MAX_LINE + ", maxHeaderBytes: " + MAX_HEADERS + "}")
                        .upstream("app.test"),
                service("app", "test").protocol("http").endpoint(app.address())));
        listener = proxy.upstreamAddress("app.test");
    }

    @AfterAll
    static void stop() {
        if (proxy != null) {
            proxy.close();
        }
        if (app != null) {
            app.close();
        }
    }

    /**
     * name, exact request bytes, expected status, and whether the request head itself is invalid (then the
     * upstream must not see it at all; a valid head followed by a broken body is streamed up before the body
     * fails, and that upstream connection is cut).
     */
    static Stream<Arguments> badRequests() {
        String longPath = "/" + "a".repeat(MAX_LINE + 100);
        String bigHeader = "x-big: " + "b".repeat(MAX_HEADERS + 200) + "\r\n";
        return Stream.of(
                arguments("version with trailing junk", "GET /a HTTP/1.1 junk\r\nHost: x\r\n\r\n", 400, true),
                arguments("no version", "GET /a\r\nHost: x\r\n\r\n", 400, true),
                arguments("unknown version syntax", "GET /a HTTP/one\r\nHost: x\r\n\r\n", 400, true),
                arguments("bare LF line ends", "GET /a HTTP/1.1\nHost: x\n\n", 400, true),
                arguments("header line without colon", "GET /a HTTP/1.1\r\nHost: x\r\nNoColonHere\r\n\r\n", 400,
                        true),
                arguments("space before colon", "GET /a HTTP/1.1\r\nHost : x\r\n\r\n", 400, true),
                arguments("header block over maxHeaderBytes", "GET /a HTTP/1.1\r\nHost: x\r\n" + bigHeader + "\r\n",
                        431, true),
                arguments("request line over maxRequestLineBytes", "GET " + longPath + " HTTP/1.1\r\nHost: x\r\n\r\n",
                        414, true),
                arguments("Content-Length with Transfer-Encoding (smuggling)",
                        "POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n"
                                + "0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n", 400, true),
                arguments("two differing Content-Length fields",
                        "POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!", 400,
                        true),
                arguments("differing Content-Length values in one field",
                        "POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 5, 6\r\n\r\nhello!", 400, true),
                arguments("non-numeric Content-Length",
                        "POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\nhello", 400, true),
                arguments("final transfer coding not chunked",
                        "POST /a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\nhello", 400, true),
                arguments("Transfer-Encoding on HTTP/1.0",
                        "POST /a HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n", 400, true),
                arguments("HTTP/1.1 without Host", "GET /a HTTP/1.1\r\nUser-Agent: raw\r\n\r\n", 400, true),
                // RFC 9112 section 3.2: more than one Host field line, or an invalid Host value, MUST get a 400.
                arguments("two Host fields", "GET /a HTTP/1.1\r\nHost: a.example\r\nHost: b.example\r\n\r\n", 400,
                        true),
                arguments("Host value that is not a host", "GET /a HTTP/1.1\r\nHost: bad host/x\r\n\r\n", 400,
                        true),
                arguments("NUL in a header value", "GET /a HTTP/1.1\r\nHost: x\r\nx-v: a\u0000b\r\n\r\n", 400,
                        true),
                arguments("invalid character in a header name", "GET /a HTTP/1.1\r\nHost: x\r\nx(y): z\r\n\r\n",
                        400, true),
                arguments("bad chunk size",
                        "POST /a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n",
                        400, false));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badRequests")
    void answeredByTheProxyAndClosed(String name, String request, int status, boolean headInvalid) throws Exception {
        long before = app.requestCount();

        RawResult result = Edge.rawExchange(listener, ascii(request), WAIT);

        assertThat(result.bytes()).as("%s: a response before the connection ends", name).isNotEmpty();
        Reply reply = result.reply();
        assertThat(reply.status()).as("%s: status; full reply:%n%s", name, result.text()).isEqualTo(status);
        assertThat(reply.header("x-remora-response-flags")).as("%s: response flags", name).isEqualTo("DPE");
        assertThat(result.closed()).as("%s: connection closed after the reply", name).isTrue();
        assertThat(Reply.parseAll(result.bytes())).as("%s: exactly one response", name).hasSize(1);

        // Nothing crashed: a good request on a new connection goes through.
        Reply good = Edge.get(listener, "/name");
        assertThat(good.status()).as("%s: next request", name).isEqualTo(200);
        assertThat(good.bodyText()).isEqualTo("app");
        if (headInvalid) {
            assertThat(app.requestCount()).as("%s: requests the upstream saw (the good one only)", name)
                    .isEqualTo(before + 1);
        }
        assertThat(app.lastRequest().uri()).isEqualTo("/name");
    }

    @Test
    void smuggledRequestNeverReachesTheUpstreamOnAKeptAliveConnection() throws Exception {
        // Warm a pooled upstream connection on each event loop, then try the classic CL.TE smuggle.
        for (int i = 0; i < 4; i++) {
            assertThat(Edge.get(listener, "/warm").status()).isEqualTo(200);
        }
        long before = app.requestCount();
        String smuggle = "POST /front HTTP/1.1\r\nHost: x\r\nContent-Length: 44\r\nTransfer-Encoding: chunked\r\n\r\n"
                + "0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: x\r\nX-Pad: y\r\n\r\n";

        RawResult result = Edge.rawExchange(listener, ascii(smuggle), WAIT);

        assertThat(result.reply().status()).isEqualTo(400);
        assertThat(result.closed()).isTrue();
        assertThat(Edge.get(listener, "/after").status()).isEqualTo(200);
        assertThat(app.requestCount()).isEqualTo(before + 1);
        assertThat(app.lastRequest().uri()).isEqualTo("/after");
    }

    @Test
    void badRequestPipelinedBehindAGoodOneIsAnsweredInOrderThenTheConnectionCloses() throws Exception {
        long before = app.requestCount();
        String pipeline = "GET /name HTTP/1.1\r\nHost: x\r\n\r\n"
                + "GET /a HTTP/1.1 junk\r\nHost: x\r\n\r\n"
                + "GET /never HTTP/1.1\r\nHost: x\r\n\r\n";

        RawResult result = Edge.rawExchange(listener, ascii(pipeline), WAIT);

        java.util.List<Reply> replies = Reply.parseAll(result.bytes());
        assertThat(replies).as(result.text()).hasSize(2);
        assertThat(replies.get(0).status()).isEqualTo(200);
        assertThat(replies.get(0).bodyText()).isEqualTo("app");
        assertThat(replies.get(1).status()).isEqualTo(400);
        assertThat(result.closed()).isTrue();
        assertThat(app.requestCount()).isEqualTo(before + 1);
    }

    @Test
    void http10WithoutHostIsForwardedAndClosed() throws Exception {
        RawResult result = Edge.rawExchange(listener, ascii("GET /name HTTP/1.0\r\n\r\n"), WAIT);

        assertThat(result.reply().status()).as(result.text()).isEqualTo(200);
        assertThat(result.reply().bodyText()).isEqualTo("app");
        assertThat(result.closed()).as("HTTP/1.0 without keep-alive is closed after the response").isTrue();
    }

    @Test
    void obsoleteLineFoldingIsReplacedBySpaceBeforeForwarding() throws Exception {
        String req = "GET /name HTTP/1.1\r\nHost: x\r\nx-folded: first\r\n  second\r\nConnection: close\r\n\r\n";

        RawResult result = Edge.rawExchange(listener, ascii(req), WAIT);

        if (result.reply().status() == 200) {
            // Forwarded: the upstream must see one field value with the fold replaced (RFC 9112 section 5.2).
            assertThat(app.lastRequest().headers().getAll("x-folded")).containsExactly("first second");
        } else {
            assertThat(result.reply().status()).as("the other allowed answer is a 400").isEqualTo(400);
        }
    }

    @Test
    void limitsAreExclusiveOfRequestsJustUnderThem() throws Exception {
        // A request line and a header block just under the limits are forwarded: the limits are not off by much.
        String path = "/" + "p".repeat(MAX_LINE - "GET / HTTP/1.1".length() - 20);
        String header = "x-fill: " + "f".repeat(MAX_HEADERS - 200) + "\r\n";
        String req = "GET " + path + " HTTP/1.1\r\nHost: x\r\n" + header + "Connection: close\r\n\r\n";

        RawResult result = Edge.rawExchange(listener, ascii(req), WAIT);

        assertThat(result.reply().status()).as(result.text()).isEqualTo(200);
        assertThat(app.lastRequest().uri()).isEqualTo(path);
    }
}
