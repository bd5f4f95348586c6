package io.remora.proxy.it.edge;

import io.remora.config.testing.Eventually;
import io.remora.config.testing.TestMesh;
import io.remora.proxy.ProxyServer;
import io.remora.proxy.it.edge.Edge.RawResult;
import io.remora.proxy.it.edge.Edge.Reply;
import io.remora.proxy.testing.CommandLine;
import io.remora.proxy.testing.HttpTestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static io.remora.config.testing.TestMesh.loopback;
import static io.remora.config.testing.TestMesh.policy;
import static io.remora.config.testing.TestMesh.route;
import static io.remora.config.testing.TestMesh.service;
import static io.remora.config.testing.TestMesh.sidecar;
import static io.remora.proxy.it.edge.Edge.ascii;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.params.provider.Arguments.arguments;

/**
 * What an attacker sends, as exact bytes or through real clients (curl), against a running proxy: other spellings
 * of a refused path, absolute-form targets, slowloris on HTTP/1.1 and HTTP/2, too many header fields, floods of
 * stream resets, and the request-smuggling set. Each case asserts the answer, that the connection closed where it
 * must, and that the app behind saw nothing it should not have.
 */
@Timeout(120)
class HardeningTest {
    private static final Duration WAIT = Duration.ofSeconds(5);

    private static HttpTestServer app;
    private static ProxyServer proxy;
    private static Edge.LineSink accessLog;
    private static InetSocketAddress inbound;
    private static InetSocketAddress outbound;
    private static InetSocketAddress dead;

    @BeforeAll
    static void start() throws Exception {
        app = new HttpTestServer("app");
        accessLog = new Edge.LineSink();
        proxy = Edge.start(TestMesh.of(
                sidecar("edge", "test").threads(2).accessLog(true).set("limits.requestHeadersTimeout", "1s")
                        .inbound(app.address()).upstream("app.test").upstream("dead.test"),
                service("app", "test").protocol("http").endpoint(app.address()),
                service("dead", "test").protocol("http").endpoint(loopback(Edge.closedPort())),
                route("app", "test").services("app.test")
                        .rule(r -> r.name("internal").match("{path: {prefix: /internal}}")
                                .set("fault", "{abort: {percent: 100, httpStatus: 403}}").backend("app.test"))
                        .rule(r -> r.backend("app.test")),
                policy("no-admin", "test").action("DENY").rule("{to: {paths: [/admin/*]}}")), accessLog);
        inbound = proxy.inboundAddress();
        outbound = proxy.upstreamAddress("app.test");
        dead = proxy.upstreamAddress("dead.test");
    }

    @AfterAll
    static void stop() {
        if (proxy != null) {
            proxy.close();
        }
        if (app != null) {
            app.close();
        }
        if (accessLog != null) {
            accessLog.close();
        }
    }

    // ---- one path, many spellings ----------------------------------------------------------------------------

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {
            "GET /admin/v0 HTTP/1.1\r\nHost: x\r\n\r\n",
            "GET http://any.host/admin/v1 HTTP/1.1\r\nHost: x\r\n\r\n",
            "GET /x/../admin/v2 HTTP/1.1\r\nHost: x\r\n\r\n",
            "GET /./admin/v3 HTTP/1.1\r\nHost: x\r\n\r\n",
            "GET /%61dmin/v4 HTTP/1.1\r\nHost: x\r\n\r\n",
            "GET //admin/v5 HTTP/1.1\r\nHost: x\r\n\r\n",
            "GET /admin/./v6 HTTP/1.1\r\nHost: x\r\n\r\n",
            "GET /%2e/admin/v7 HTTP/1.1\r\nHost: x\r\n\r\n",
            "GET /x/%2E%2E/admin/v8 HTTP/1.1\r\nHost: x\r\n\r\n",
            "GET /\\admin\\v9 HTTP/1.1\r\nHost: x\r\n\r\n",
            "GET HTTP://ANY.HOST/admin/../admin/v10?q=1 HTTP/1.1\r\nHost: x\r\n\r\n"})
    void everySpellingOfADeniedPathIsDenied(String request) throws Exception {
        long before = app.requestCount();

        // Connection: close, so the answer ends with the connection and the wait is only an upper bound.
        RawResult result = Edge.rawExchange(inbound, ascii(request.replace("\r\n\r\n", "\r\nConnection: close\r\n\r\n")),
                WAIT);

        assertThat(result.reply().status()).as(result.text()).isEqualTo(403);
        assertThat(result.reply().header("x-remora-response-flags")).isEqualTo("RBAC");
        assertThat(app.requestCount()).as("the app saw nothing").isEqualTo(before);
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"/internal/a", "/./internal/a", "/%69nternal/a", "//internal/a", "/x/../internal/a",
            "http://app.test/internal/a"})
    void aRouteRuleMatchesEverySpellingOfItsPrefix(String target) throws Exception {
        long before = app.requestCount();

        RawResult result = Edge.rawExchange(outbound,
                ascii("GET " + target + " HTTP/1.1\r\nHost: app.test\r\nConnection: close\r\n\r\n"), WAIT);

        assertThat(result.reply().status()).as(result.text()).isEqualTo(403);
        assertThat(result.reply().header("x-remora-response-flags")).isEqualTo("FI");
        assertThat(app.requestCount()).isEqualTo(before);
    }

    @Test
    void theAppReceivesTheNormalizedPathWithTheQueryUntouched() throws Exception {
        RawResult result = Edge.rawExchange(inbound,
                ascii("GET /a/./b/../c//%7Ed%2fe%41?x=/../y&z=%2e HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"),
                WAIT);

        assertThat(result.reply().status()).as(result.text()).isEqualTo(200);
        // %2F stays encoded (Istio's default); %7E and %41 are unreserved and decoded.
        assertThat(app.lastRequest().uri()).isEqualTo("/a/c/~d%2FeA?x=/../y&z=%2e");
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"/../admin", "/a/../../b", "/a%00b", "/a%zzb", "/a%2", "/a#frag", "/a b"})
    void aPathThatCannotBeNormalizedIsA400(String path) throws Exception {
        long before = app.requestCount();

        RawResult result = Edge.rawExchange(inbound, ascii("GET " + path + " HTTP/1.1\r\nHost: x\r\n\r\n"), WAIT);

        assertThat(result.reply().status()).as(result.text()).isEqualTo(400);
        assertThat(result.closed()).isTrue();
        assertThat(app.requestCount()).isEqualTo(before);
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"/admin/h2", "/x/../admin/h2", "/./admin/h2", "/%61dmin/h2", "//admin/h2"})
    void overHttp2TheSameSpellingsAreDenied(String path) {
        long before = app.requestCount();

        CommandLine.Result curl = CommandLine.run(WAIT, "curl", "-s", "-o", "/dev/null", "-w", "%{http_code}",
                "--path-as-is", "--http2-prior-knowledge", "http://127.0.0.1:" + inbound.getPort() + path);

        assertThat(curl.output()).as("curl's status").isEqualTo("403");
        assertThat(app.requestCount()).isEqualTo(before);
    }

    @Test
    void absoluteFormReplacesHostAndGoesOnInOriginForm() throws Exception {
        RawResult result = Edge.rawExchange(inbound,
                ascii("GET http://Other.Host:8123/name?q=1 HTTP/1.1\r\nHost: claimed.host\r\nConnection: close\r\n\r\n"),
                WAIT);

        assertThat(result.reply().status()).as(result.text()).isEqualTo(200);
        assertThat(app.lastRequest().uri()).isEqualTo("/name?q=1");
        assertThat(app.lastRequest().headers().getAll("host")).containsExactly("Other.Host:8123");
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"ftp://x/name", "http:///name", "http://user@x/name", "name"})
    void anUnusableAbsoluteTargetIsA400(String target) throws Exception {
        long before = app.requestCount();

        RawResult result = Edge.rawExchange(inbound, ascii("GET " + target + " HTTP/1.1\r\nHost: x\r\n\r\n"), WAIT);

        assertThat(result.reply().status()).as(result.text()).isEqualTo(400);
        assertThat(app.requestCount()).isEqualTo(before);
    }

    // ---- slowloris -------------------------------------------------------------------------------------------

    @Test
    void aRequestHeadTrickledByteByByteIsAnswered408AndClosed() throws Exception {
        double before = timeouts("http1");
        List<Socket> sockets = new ArrayList<>();
        try {
            for (int i = 0; i < 20; i++) {
                Socket s = new Socket("127.0.0.1", inbound.getPort());
                s.getOutputStream().write(ascii("GET /slow HTTP/1.1\r\n"));
                sockets.add(s);
            }
            byte[] trickle = ascii("X-A: b\r\n");
            // Every byte arrives well inside the idle timeout; only the head's own limit ends this.
            long deadline = System.nanoTime() + Duration.ofSeconds(4).toNanos();
            int sent = 0;
            while (System.nanoTime() < deadline && sockets.stream().anyMatch(s -> !s.isClosed())) {
                for (Socket s : sockets) {
                    if (!s.isClosed()) {
                        try {
                            s.getOutputStream().write(trickle[sent % trickle.length]);
                        } catch (java.io.IOException closed) {
                            s.close();
                        }
                    }
                }
                sent++;
                Thread.sleep(100);
            }
            for (Socket s : sockets) {
                if (s.isClosed()) {
                    continue;
                }
                RawResult r = Edge.readUntilEof(s, Duration.ofSeconds(3));
                assertThat(r.closed()).as("closed by the proxy").isTrue();
                if (r.bytes().length > 0) {
                    assertThat(r.reply().status()).isEqualTo(408);
                }
            }
        } finally {
            for (Socket s : sockets) {
                s.close();
            }
        }
        Eventually.eventually(WAIT, () -> assertThat(timeouts("http1")).isGreaterThanOrEqualTo(before + 20));
    }

    @Test
    void theHeadTimeoutAnswers408OnTheWire() throws Exception {
        try (Socket s = new Socket("127.0.0.1", inbound.getPort())) {
            s.getOutputStream().write(ascii("GET /never-finished HTTP/1.1\r\nHost: x\r\n"));

            RawResult r = Edge.readUntilEof(s, WAIT);

            assertThat(r.closed()).isTrue();
            assertThat(r.reply().status()).isEqualTo(408);
            assertThat(r.reply().header("connection")).isEqualTo("close");
            assertThat(r.reply().bodyText()).isEqualTo("request headers timeout\n");
        }
    }

    @Test
    void aSecondHeadTrickledRightAfterAnAnsweredRequestIsAnswered408() throws Exception {
        // The clock of the first request is still pending when the second head starts: the second gets its own
        // full limit and no more.
        try (Edge.KeepAlive c = new Edge.KeepAlive(inbound)) {
            assertThat(c.get("/name").status()).isEqualTo(200);
            OutputStream out = c.socket().getOutputStream();
            byte[] head = ascii("GET /slow HTTP/1.1\r\nX-A: b\r\nX-A: b\r\nX-A: b\r\nX-A: b\r\nX-A: b\r\n");
            long deadline = System.nanoTime() + Duration.ofSeconds(4).toNanos();
            boolean cut = false;
            for (int i = 0; !cut && System.nanoTime() < deadline; i = (i + 1) % head.length) {
                try {
                    out.write(head[i]);
                    out.flush();
                } catch (java.io.IOException closed) {
                    cut = true;
                }
                Thread.sleep(50);
            }
            RawResult r = Edge.readUntilEof(c.socket(), Duration.ofSeconds(3));
            assertThat(r.closed()).as("closed by the proxy").isTrue();
            assertThat(r.bytes()).as("a 408 after the first response").isNotEmpty();
            assertThat(r.reply().status()).isEqualTo(408);
        }
    }

    @Test
    void anIdleKeptAliveConnectionIsNotCutByTheHeadTimeout() throws Exception {
        try (Edge.KeepAlive c = new Edge.KeepAlive(inbound)) {
            assertThat(c.get("/name").status()).isEqualTo(200);
            Thread.sleep(1_500); // longer than requestHeadersTimeout, far below the idle timeout
            assertThat(c.get("/name").status()).as("the same connection serves a second request").isEqualTo(200);
        }
    }

    @Test
    void anHttp2PrefaceTrickledIsClosed() throws Exception {
        double before = timeouts("http2");
        try (Socket s = new Socket("127.0.0.1", inbound.getPort())) {
            OutputStream out = s.getOutputStream();
            long deadline = System.nanoTime() + Duration.ofSeconds(4).toNanos();
            boolean closed = false;
            for (int i = 0; i < RawH2.PREFACE.length && !closed && System.nanoTime() < deadline; i++) {
                try {
                    out.write(RawH2.PREFACE[i]);
                    out.flush();
                } catch (java.io.IOException e) {
                    closed = true;
                }
                Thread.sleep(150);
            }
            if (!closed) {
                assertThat(RawH2.readFrames(s.getInputStream(), s, 3_000).closed()).isTrue();
            }
        }
        Eventually.eventually(WAIT, () -> assertThat(timeouts("http2")).isGreaterThan(before));
    }

    @Test
    void anUnfinishedHttp2HeaderBlockGetsGoAwayEnhanceYourCalm() throws Exception {
        long before = app.requestCount();
        try (Socket s = new Socket("127.0.0.1", inbound.getPort())) {
            OutputStream out = s.getOutputStream();
            RawH2.open(out);
            // HEADERS without END_HEADERS: the block stays open, waiting for a CONTINUATION that never comes.
            out.write(RawH2.frame(RawH2.HEADERS, RawH2.END_STREAM, 1, RawH2.get("/slow-h2")));
            out.flush();

            RawH2.Read read = RawH2.readFrames(s.getInputStream(), s, 5_000);

            assertThat(read.closed()).isTrue();
            assertThat(read.goAway()).as("GOAWAY in %s", read.frames()).isNotNull();
            assertThat(read.goAway().errorCode()).isEqualTo(RawH2.ENHANCE_YOUR_CALM);
        }
        assertThat(app.requestCount()).isEqualTo(before);
    }

    @Test
    void aCompleteHttp2RequestIsNotTimed() throws Exception {
        try (Socket s = new Socket("127.0.0.1", inbound.getPort())) {
            OutputStream out = s.getOutputStream();
            RawH2.open(out);
            out.flush();
            Thread.sleep(1_500); // a quiet connection between requests is the idle timeout's business
            out.write(RawH2.frame(RawH2.HEADERS, RawH2.END_STREAM | RawH2.END_HEADERS, 1, RawH2.get("/name")));
            out.flush();

            RawH2.Read read = RawH2.readFrames(s.getInputStream(), s, 1_000);

            assertThat(read.closed()).as("still open").isFalse();
            assertThat(read.frames()).anyMatch(f -> f.type() == RawH2.HEADERS && f.stream() == 1);
        }
    }

    @Test
    void anHttp2FieldValueWithALineBreakNeverReachesTheApp() throws Exception {
        try (Socket s = new Socket("127.0.0.1", outbound.getPort())) {
            OutputStream out = s.getOutputStream();
            RawH2.open(out);
            // HPACK carries any octets in a value; as HTTP/1.1 this would be a second field, x-smuggled.
            out.write(RawH2.frame(RawH2.HEADERS, RawH2.END_STREAM | RawH2.END_HEADERS, 1, RawH2.headerBlock(
                    ":method", "GET", ":scheme", "http", ":path", "/crlf", ":authority", "x",
                    "x-injected", "1\r\nx-smuggled: 2")));
            // The stream is refused, not the connection: another request on it is answered.
            out.write(RawH2.frame(RawH2.HEADERS, RawH2.END_STREAM | RawH2.END_HEADERS, 3, RawH2.get("/after")));
            out.flush();

            RawH2.Read read = RawH2.readFrames(s.getInputStream(), s, 1_000);

            assertThat(read.frames()).anyMatch(f -> f.type() == RawH2.RST_STREAM && f.stream() == 1);
            assertThat(read.frames()).noneMatch(f -> f.type() == RawH2.GOAWAY);
            assertThat(read.frames()).anyMatch(f -> f.type() == RawH2.HEADERS && f.stream() == 3);
        }
        assertThat(app.seenUris()).doesNotContain("/crlf");
    }

    @Test
    void anHttp2RequestWithTwoAuthoritiesIsRefusedBeforeTheApp() throws Exception {
        long before = app.requestCount();
        try (Socket s = new Socket("127.0.0.1", outbound.getPort())) {
            OutputStream out = s.getOutputStream();
            RawH2.open(out);
            out.write(RawH2.frame(RawH2.HEADERS, RawH2.END_STREAM | RawH2.END_HEADERS, 1, RawH2.headerBlock(
                    ":method", "GET", ":scheme", "http", ":path", "/two", ":authority", "x", ":authority", "y")));
            out.flush();

            RawH2.Read read = RawH2.readFrames(s.getInputStream(), s, 1_000);

            assertThat(read.frames()).anyMatch(f -> f.stream() == 1
                    && (f.type() == RawH2.RST_STREAM || f.type() == RawH2.HEADERS));
        }
        assertThat(app.requestCount()).isEqualTo(before);
    }

    @Test
    void anHttp2LocalReplyBeforeTheBodyEndedGoesOutBeforeTheStreamIsReset() throws Exception {
        try (Socket s = new Socket("127.0.0.1", outbound.getPort())) {
            OutputStream out = s.getOutputStream();
            RawH2.open(out);
            // A POST whose body never comes, to a rule that answers 403 by itself.
            out.write(RawH2.frame(RawH2.HEADERS, RawH2.END_HEADERS, 1, RawH2.headerBlock(":method", "POST",
                    ":scheme", "http", ":path", "/internal/x", ":authority", "app.test")));
            out.flush();

            RawH2.Read read = RawH2.readFrames(s.getInputStream(), s, 1_000);

            List<Integer> onStream = read.frames().stream().filter(f -> f.stream() == 1).map(RawH2.Frame::type)
                    .toList();
            // The whole reply (HEADERS, DATA ending the stream), then RST_STREAM: the rest of the body is not wanted.
            assertThat(onStream).containsSubsequence(RawH2.HEADERS, RawH2.DATA, RawH2.RST_STREAM);
            assertThat(read.frames()).anyMatch(f -> f.type() == RawH2.DATA && f.stream() == 1
                    && (f.flags() & RawH2.END_STREAM) != 0);
            assertThat(read.closed()).as("the connection stays").isFalse();
        }
    }

    // ---- header count ----------------------------------------------------------------------------------------

    @Test
    void moreThanAHundredHeaderFieldsIsA431() throws Exception {
        long before = app.requestCount();
        StringBuilder many = new StringBuilder("GET /name HTTP/1.1\r\nHost: x\r\n");
        for (int i = 0; i < 500; i++) {
            many.append("x-h").append(i).append(": v\r\n");
        }

        RawResult result = Edge.rawExchange(inbound, ascii(many.append("\r\n").toString()), WAIT);

        assertThat(result.reply().status()).as(result.text()).isEqualTo(431);
        assertThat(result.closed()).isTrue();
        assertThat(app.requestCount()).isEqualTo(before);
    }

    @Test
    void ninetyHeaderFieldsPass() throws Exception {
        StringBuilder req = new StringBuilder("GET /name HTTP/1.1\r\nHost: x\r\nConnection: close\r\n");
        for (int i = 0; i < 90; i++) {
            req.append("x-h").append(i).append(": v\r\n");
        }

        RawResult result = Edge.rawExchange(inbound, ascii(req.append("\r\n").toString()), WAIT);

        assertThat(result.reply().status()).as(result.text()).isEqualTo(200);
    }

    @Test
    void moreThanAHundredHeaderFieldsOverHttp2IsA431() {
        long before = app.requestCount();
        List<String> command = new ArrayList<>(List.of("curl", "-s", "-o", "/dev/null", "-w", "%{http_code}",
                "--http2-prior-knowledge"));
        for (int i = 0; i < 150; i++) {
            command.add("-H");
            command.add("x-h" + i + ": v");
        }
        command.add("http://127.0.0.1:" + inbound.getPort() + "/name");

        CommandLine.Result curl = CommandLine.run(WAIT, command);

        assertThat(curl.output()).isEqualTo("431");
        assertThat(app.requestCount()).isEqualTo(before);
    }

    // ---- what callers are told -------------------------------------------------------------------------------

    @Test
    void a503TellsTheCallerTheReasonAndKeepsTheEndpointInTheLog() throws Exception {
        Reply reply = Edge.get(dead, "/x");

        assertThat(reply.status()).isEqualTo(503);
        assertThat(reply.header("x-remora-response-flags")).contains("UF");
        assertThat(reply.bodyText()).startsWith("upstream connect error or disconnect/reset before headers."
                + " reset reason: connection failure");
        assertThat(reply.bodyText()).doesNotContain("127.0.0.1").doesNotContain(":" + dead.getPort());
        Eventually.eventually(WAIT, () -> assertThat(accessLog.lines()).anySatisfy(line -> {
            assertThat(line.path("upstream_cluster").asText()).contains("dead.test");
            assertThat(line.path("details").asText()).contains("127.0.0.1:");
        }));
    }

    // ---- HTTP/2 floods ---------------------------------------------------------------------------------------

    @Test
    void aRapidResetFloodIsCutWithEnhanceYourCalm() throws Exception {
        try (Socket s = new Socket("127.0.0.1", outbound.getPort())) {
            OutputStream out = s.getOutputStream();
            ByteArrayOutputStream flood = new ByteArrayOutputStream();
            flood.write(RawH2.PREFACE);
            flood.write(RawH2.emptySettings());
            for (int stream = 1; stream < 2 * 1000; stream += 2) {
                flood.write(RawH2.frame(RawH2.HEADERS, RawH2.END_STREAM | RawH2.END_HEADERS, stream,
                        RawH2.get("/slow/1000")));
                flood.write(RawH2.rstStream(stream));
            }
            try {
                out.write(flood.toByteArray());
                out.flush();
            } catch (java.io.IOException cutWhileWriting) {
                // The proxy may close before the flood is all written; what it sent first is still readable.
            }

            RawH2.Read read = RawH2.readFrames(s.getInputStream(), s, 5_000);

            assertThat(read.goAway()).as("GOAWAY in %d frames", read.frames().size()).isNotNull();
            assertThat(read.goAway().errorCode()).isEqualTo(RawH2.ENHANCE_YOUR_CALM);
        }
    }

    // ---- request smuggling -----------------------------------------------------------------------------------

    /** Each carries a second request, {@code /smuggled}, that a lenient parser would see. */
    static Stream<Arguments> smuggling() {
        String tail = "GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n";
        return Stream.of(
                arguments("CL.TE", "POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 6\r\n"
                        + "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + tail),
                arguments("TE.CL", "POST /a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
                        + "Content-Length: 3\r\n\r\n8\r\nSMUGGLED\r\n0\r\n\r\n" + tail),
                arguments("duplicate Content-Length", "POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n"
                        + "Content-Length: 38\r\n\r\n" + tail),
                arguments("Transfer-Encoding: chunked, identity", "POST /a HTTP/1.1\r\nHost: x\r\n"
                        + "Transfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n" + tail),
                arguments("Transfer-Encoding: xchunked", "POST /a HTTP/1.1\r\nHost: x\r\n"
                        + "Transfer-Encoding: xchunked\r\n\r\n0\r\n\r\n" + tail),
                arguments("Transfer-Encoding with a space before the colon", "POST /a HTTP/1.1\r\nHost: x\r\n"
                        + "Transfer-Encoding : chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n" + tail),
                arguments("first header line folded", "POST /a HTTP/1.1\r\n Transfer-Encoding: chunked\r\n"
                        + "Host: x\r\n\r\n0\r\n\r\n" + tail),
                arguments("bad chunk size", "POST /a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                        + "-1\r\n\r\n0\r\n\r\n" + tail),
                arguments("chunk size with junk", "POST /a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                        + "0x0\r\n\r\n" + tail),
                arguments("bare LF in the request line", "POST /a HTTP/1.1\nHost: x\r\nContent-Length: 0\r\n\r\n"
                        + tail),
                arguments("bare CR in a header", "POST /a HTTP/1.1\r\nHost: x\rContent-Length: 0\r\n\r\n" + tail),
                arguments("a request without Host, then another", "GET /a HTTP/1.1\r\nUser-Agent: u\r\n\r\n" + tail),
                arguments("a path climbing above the root, then another", "GET /../a HTTP/1.1\r\nHost: x\r\n\r\n"
                        + tail),
                arguments("NUL in the request line", "POST /a\u0000 HTTP/1.1\r\nHost: x\r\n\r\n" + tail),
                arguments("NUL in a header value", "POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 0\u0000\r\n\r\n"
                        + tail));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("smuggling")
    void aSmuggledRequestNeverReachesTheApp(String name, String request) throws Exception {
        // Warm pooled upstream connections first: a smuggled request would ride on one of them.
        for (int i = 0; i < 4; i++) {
            assertThat(Edge.get(outbound, "/warm").status()).isEqualTo(200);
        }
        int seenBefore = app.seenUris().size();

        RawResult result = Edge.rawExchange(outbound, ascii(request), WAIT);

        assertThat(result.reply().status()).as("%s:%n%s", name, result.text()).isEqualTo(400);
        assertThat(result.closed()).as("%s: closed", name).isTrue();
        assertThat(Reply.parseAll(result.bytes())).as("%s: one response only", name).hasSize(1);
        assertThat(Edge.get(outbound, "/after").status()).isEqualTo(200);
        assertThat(app.lastRequest().uri()).isEqualTo("/after");
        List<String> seen = app.seenUris();
        assertThat(seen.subList(seenBefore, seen.size())).as("%s: what the app saw", name).containsExactly("/after");
    }

    @Test
    void aFoldedLineCannotSmuggleATransferEncoding() throws Exception {
        // A parser that took the folded line for a field of its own would read a chunked body and a second request.
        String request = "POST /folded HTTP/1.1\r\nHost: x\r\nX-A: b\r\n Transfer-Encoding: chunked\r\n"
                + "Content-Length: 5\r\nConnection: close\r\n\r\n0\r\n\r\n";

        RawResult result = Edge.rawExchange(outbound, ascii(request), WAIT);

        assertThat(result.reply().status()).as(result.text()).isIn(200, 400);
        if (result.reply().status() == 200) {
            // Forwarded as the proxy read it: one field with the fold replaced by a space, the body by its length.
            assertThat(app.lastRequest().uri()).isEqualTo("/folded");
            assertThat(app.lastRequest().headers().getAll("x-a")).containsExactly("b Transfer-Encoding: chunked");
            assertThat(app.lastRequest().headers().contains("transfer-encoding")).isFalse();
        }
    }

    private static double timeouts(String protocol) throws Exception {
        return Edge.sample(Edge.scrape(proxy), "remora_downstream_timeouts_total", "kind", "request_headers",
                "protocol", protocol);
    }
}
