package io.remora.proxy.it.http;

import io.netty.handler.codec.http.HttpMethod;
import io.remora.proxy.ProxyServer;
import io.remora.proxy.testing.Digests;
import io.remora.proxy.testing.H2cClient;
import io.remora.proxy.testing.HttpTestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * HTTP/2 (h2c prior knowledge) downstream to an HTTP/1.1 upstream (service protocol {@code http}) and to an
 * HTTP/2 upstream (protocol {@code http2}), and HTTP/1.1 downstream to an HTTP/2 upstream: bodies arrive
 * byte-identical both ways and response trailers survive the translation (HTTP/2 trailers frame, HTTP/1.1
 * chunked trailer section).
 */
@Timeout(120)
class Http2TranslationTest {
    static final int KIB = 1024;
    static final int MIB = 1024 * 1024;
    static final Duration CALL_TIMEOUT = Duration.ofSeconds(60);

    private static HttpTestServer upstream;
    private static ProxyServer proxy;

    @BeforeAll
    static void start() throws Exception {
        upstream = new HttpTestServer("h2-translation");
        proxy = Proxies.start(Proxies.sidecar("via-h1", "via-h2"),
                Proxies.service("via-h1", "http", upstream.address()),
                Proxies.service("via-h2", "http2", upstream.address()));
    }

    @AfterAll
    static void stop() {
        if (proxy != null) {
            proxy.close();
        }
        if (upstream != null) {
            upstream.close();
        }
    }

    private static InetSocketAddress listener(String service) {
        return proxy.upstreamAddress(Proxies.key(service));
    }

    /** What the fixture reports in {@code x-protocol} for the service's upstream protocol. */
    private static String upstreamProtocol(String service) {
        return service.equals("via-h1") ? "http/1.1" : "h2";
    }

    static Stream<Arguments> smallEchoCases() {
        Stream.Builder<Arguments> b = Stream.builder();
        for (String service : new String[] {"via-h1", "via-h2"}) {
            for (int size : new int[] {0, KIB}) {
                for (boolean declare : new boolean[] {true, false}) {
                    b.add(Arguments.of(service, size, declare));
                }
            }
        }
        return b.build();
    }

    @ParameterizedTest(name = "{0}: {1} bytes, content-length declared: {2}")
    @MethodSource("smallEchoCases")
    void h2EchoesSmallBodies(String service, int size, boolean declareLength) throws Exception {
        h2Echo(service, size, declareLength);
    }

    static Stream<Arguments> largeEchoCases() {
        return Stream.of(Arguments.of("via-h1", true), Arguments.of("via-h2", false));
    }

    @ParameterizedTest(name = "{0}: 64 MiB, content-length declared: {1}")
    @MethodSource("largeEchoCases")
    void h2Echoes64MiB(String service, boolean declareLength) throws Exception {
        LeakLevels.sampled(() -> {
            h2Echo(service, 64 * MIB, declareLength);
            return null;
        });
    }

    private static void h2Echo(String service, long size, boolean declareLength) throws Exception {
        long seed = 2000 + size + (declareLength ? 1 : 0);
        try (StreamingH2Client client = new StreamingH2Client(listener(service))) {
            StreamingH2Client.Result res = client.start(HttpMethod.POST, "/echo",
                            Map.of("content-type", "application/x-test"),
                            new StreamingH2Client.Body(seed, size, declareLength))
                    .await(CALL_TIMEOUT);
            assertThat(res.status()).isEqualTo(200);
            assertThat(res.headers().get("x-protocol")).isEqualTo(upstreamProtocol(service));
            assertThat(res.headers().get("content-type")).isEqualTo("application/x-test");
            assertThat(res.bodyBytes()).isEqualTo(size);
            assertThat(res.sha256()).as("echoed body").isEqualTo(Digests.sha256OfRandom(seed, size));
        }
    }

    static Stream<Arguments> downloadCases() {
        Stream.Builder<Arguments> b = Stream.builder();
        for (String service : new String[] {"via-h1", "via-h2"}) {
            for (int size : new int[] {0, KIB, 64 * MIB}) {
                for (boolean chunked : new boolean[] {false, true}) {
                    if (size == 64 * MIB && chunked == service.equals("via-h1")) {
                        continue; // one 64 MiB framing per upstream protocol is enough
                    }
                    b.add(Arguments.of(service, size, chunked));
                }
            }
        }
        return b.build();
    }

    @ParameterizedTest(name = "{0}: {1} bytes, chunked at the upstream: {2}")
    @MethodSource("downloadCases")
    void h2DownloadsByteIdentical(String service, int size, boolean chunked) throws Exception {
        StreamingH2Client.Result res = LeakLevels.sampled(() -> {
            try (StreamingH2Client client = new StreamingH2Client(listener(service))) {
                return client.start(HttpMethod.GET, "/bytes/" + size + (chunked ? "?chunked=1" : ""), Map.of(), null)
                        .await(CALL_TIMEOUT);
            }
        });
        assertThat(res.status()).isEqualTo(200);
        assertThat(res.headers().get("x-protocol")).isEqualTo(upstreamProtocol(service));
        if (!chunked) {
            assertThat(res.rawHeaders().get("content-length")).hasToString(Integer.toString(size));
        }
        assertThat(res.rawHeaders().contains("transfer-encoding")).as("no transfer-encoding on HTTP/2").isFalse();
        assertThat(res.rawHeaders().contains("connection")).as("no connection header on HTTP/2").isFalse();
        assertThat(res.bodyBytes()).isEqualTo(size);
        assertThat(res.sha256()).isEqualTo(Digests.sha256OfRandom(HttpTestServer.BYTES_SEED, size));
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"via-h1", "via-h2"})
    void concurrentStreamsOnOneConnectionAllCompleteCorrectly(String service) throws Exception {
        try (StreamingH2Client client = new StreamingH2Client(listener(service))) {
            List<StreamingH2Client.Call> calls = new ArrayList<>();
            for (int i = 0; i < 40; i++) {
                calls.add(i % 2 == 0
                        ? client.start(HttpMethod.GET, "/bytes/" + (1000 + i * 997), Map.of(), null)
                        : client.start(HttpMethod.POST, "/echo", Map.of(),
                                new StreamingH2Client.Body(5000 + i, 20_000 + i, i % 4 == 1)));
            }
            for (int i = 0; i < calls.size(); i++) {
                StreamingH2Client.Result res = calls.get(i).await(CALL_TIMEOUT);
                assertThat(res.status()).as("stream %d", i).isEqualTo(200);
                String expected = i % 2 == 0
                        ? Digests.sha256OfRandom(HttpTestServer.BYTES_SEED, 1000 + i * 997)
                        : Digests.sha256OfRandom(5000 + i, 20_000 + i);
                assertThat(res.sha256()).as("stream %d", i).isEqualTo(expected);
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"via-h1", "via-h2"})
    void h2ClientReceivesUpstreamTrailers(String service) throws Exception {
        try (H2cClient client = new H2cClient(listener(service))) {
            H2cClient.Response res = client.get("/trailers");
            assertThat(res.status()).isEqualTo(200);
            assertThat(res.headers().get("x-protocol")).isEqualTo(upstreamProtocol(service));
            assertThat(res.bodyText()).isEqualTo("trailers\n");
            assertThat(res.trailers().get("x-trailer")).as("HTTP/2 trailers").isEqualTo("done");
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"via-h1", "via-h2"})
    void h1ClientReceivesUpstreamTrailersAsChunkedTrailerSection(String service) throws Exception {
        try (RawHttp c = new RawHttp(listener(service))) {
            c.send("GET /trailers HTTP/1.1\r\nhost: x\r\nte: trailers\r\n\r\n");
            RawHttp.Response res = c.readResponse();
            assertThat(res.status()).isEqualTo(200);
            assertThat(res.header("x-protocol")).isEqualTo(upstreamProtocol(service));
            assertThat(res.head().chunked()).as("chunked, so there is a trailer section").isTrue();
            assertThat(res.bodyText()).isEqualTo("trailers\n");
            assertThat(res.trailer("x-trailer")).isEqualTo("done");
            // the connection stays usable after the trailer section
            c.send("GET /name HTTP/1.1\r\nhost: x\r\n\r\n");
            assertThat(c.readResponse().bodyText()).isEqualTo("h2-translation");
        }
    }

    @ParameterizedTest(name = "{0} bytes, chunked request: {1}")
    @MethodSource("h1ToH2SmallCases")
    void h1ClientEchoesThroughH2Upstream(int size, boolean chunked) throws Exception {
        long seed = 3000 + size + (chunked ? 1 : 0);
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(5)).build();
        HttpRequest.BodyPublisher body = Http1BodiesTest.publisher(seed, size, chunked);
        HttpResponse<InputStream> res = client.send(HttpRequest.newBuilder(
                        Http1BodiesTest.uri(listener("via-h2"), "/echo"))
                        .timeout(CALL_TIMEOUT).POST(body).build(),
                HttpResponse.BodyHandlers.ofInputStream());
        String digest;
        try (InputStream in = res.body()) {
            digest = Digests.sha256Hex(in);
        }
        assertThat(res.statusCode()).isEqualTo(200);
        assertThat(res.headers().firstValue("x-protocol")).hasValue("h2");
        assertThat(digest).isEqualTo(Digests.sha256OfRandom(seed, size));
    }

    static Stream<Arguments> h1ToH2SmallCases() {
        return Stream.of(Arguments.of(0, false), Arguments.of(0, true), Arguments.of(KIB, false),
                Arguments.of(KIB, true));
    }

    @ParameterizedTest(name = "64 MiB, chunked request: {0}")
    @ValueSource(booleans = {false, true})
    void h1ClientEchoes64MiBThroughH2Upstream(boolean chunked) throws Exception {
        long seed = chunked ? 3641 : 3640;
        long size = 64L * MIB;
        RawHttp.Digested res = LeakLevels.sampled(
                () -> RawHttp.duplexPost(listener("via-h2"), "/echo", seed, size, chunked));
        assertThat(res.head().status()).isEqualTo(200);
        assertThat(res.head().header("x-protocol")).isEqualTo("h2");
        assertThat(res.bodyBytes()).isEqualTo(size);
        assertThat(res.sha256()).isEqualTo(Digests.sha256OfRandom(seed, size));
    }

    @Test
    void h1ClientDownloadsThroughH2Upstream() throws Exception {
        for (int size : new int[] {0, KIB, 64 * MIB}) {
            RawHttp.Digested res = LeakLevels.sampled(() -> {
                try (RawHttp c = new RawHttp(listener("via-h2"))) {
                    c.send("GET /bytes/" + size + " HTTP/1.1\r\nhost: x\r\n\r\n");
                    RawHttp.Head head = c.readHead();
                    RawHttp.BodyStream body = c.body(head, "GET");
                    return new RawHttp.Digested(head, -1, Digests.sha256Hex(body), body.trailers());
                }
            });
            assertThat(res.head().status()).isEqualTo(200);
            assertThat(res.head().header("x-protocol")).isEqualTo("h2");
            assertThat(res.head().contentLength()).isEqualTo(size);
            assertThat(res.sha256()).as("%d bytes", size)
                    .isEqualTo(Digests.sha256OfRandom(HttpTestServer.BYTES_SEED, size));
        }
    }
}
