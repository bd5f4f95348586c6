package io.remora.proxy.it.http;

import io.remora.proxy.ProxyServer;
import io.remora.proxy.testing.Digests;
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
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * HTTP/1.1 client → proxy → HTTP/1.1 upstream: bodies of 0 B, 1 KiB and 64 MiB arrive byte-identical in both
 * directions, whatever the framing (content-length or chunked) on either side.
 *
 * <p>The JDK client does not read a response before it has sent the whole request body, so against an echo
 * that streams (as the fixture's does, with backpressure) it stalls once the socket buffers are full: the
 * small echoes use it, the 64 MiB echo uses a raw socket that writes and reads at the same time.
 */
@Timeout(120)
class Http1BodiesTest {
    static final int KIB = 1024;
    static final int MIB = 1024 * 1024;

    private static HttpTestServer upstream;
    private static ProxyServer proxy;
    private static HttpClient client;

    @BeforeAll
    static void start() throws Exception {
        upstream = new HttpTestServer("h1-bodies");
        proxy = Proxies.start(Proxies.sidecar(upstream.address(), "http", "echo"),
                Proxies.service("echo", "http", upstream.address()));
        client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(5)).build();
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

    static Stream<Arguments> smallEchoCases() {
        return Stream.of(Arguments.of(0, false), Arguments.of(0, true), Arguments.of(KIB, false),
                Arguments.of(KIB, true));
    }

    @ParameterizedTest(name = "{0} bytes, chunked request: {1}")
    @MethodSource("smallEchoCases")
    void echoesRequestBodyByteIdentical(int size, boolean chunked) throws Exception {
        long seed = 1000L + size + (chunked ? 1 : 0);
        HttpResponse<InputStream> res = client.send(HttpRequest.newBuilder(uri(outbound(), "/echo"))
                        .timeout(Duration.ofSeconds(60))
                        .header("content-type", "application/x-test")
                        .header("x-reflect", "content-length,transfer-encoding")
                        .POST(publisher(seed, size, chunked)).build(),
                HttpResponse.BodyHandlers.ofInputStream());
        String digest;
        try (InputStream body = res.body()) {
            digest = Digests.sha256Hex(body);
        }
        assertThat(res.statusCode()).isEqualTo(200);
        assertThat(res.headers().firstValue("content-type")).hasValue("application/x-test");
        assertThat(digest).as("echoed body").isEqualTo(Digests.sha256OfRandom(seed, size));
        HttpTestServer.SeenRequest seen = upstream.lastRequest();
        assertThat(seen.uri()).isEqualTo("/echo");
        if (chunked) {
            assertThat(seen.headers().get("transfer-encoding")).isEqualToIgnoringCase("chunked");
        } else if (size > 0) {
            assertThat(seen.headers().get("content-length")).isEqualTo(Integer.toString(size));
        }
    }

    @ParameterizedTest(name = "64 MiB, chunked request: {0}")
    @ValueSource(booleans = {false, true})
    void echoes64MiBByteIdentical(boolean chunked) throws Exception {
        long seed = chunked ? 641 : 640;
        long size = 64L * MIB;
        RawHttp.Digested res = LeakLevels.sampled(() -> RawHttp.duplexPost(outbound(), "/echo", seed, size, chunked));
        assertThat(res.head().status()).isEqualTo(200);
        assertThat(res.bodyBytes()).isEqualTo(size);
        assertThat(res.sha256()).as("echoed body").isEqualTo(Digests.sha256OfRandom(seed, size));
        assertThat(upstream.lastRequest().headers().get(chunked ? "transfer-encoding" : "content-length"))
                .isEqualToIgnoringCase(chunked ? "chunked" : Long.toString(size));
    }

    static Stream<Arguments> bytesCases() {
        return Stream.of(Arguments.of(0, false), Arguments.of(0, true), Arguments.of(KIB, false),
                Arguments.of(KIB, true), Arguments.of(64 * MIB, false), Arguments.of(64 * MIB, true));
    }

    @ParameterizedTest(name = "{0} bytes, chunked response: {1}")
    @MethodSource("bytesCases")
    void downloadsByteIdentical(int size, boolean chunked) throws Exception {
        Download d = size > KIB ? LeakLevels.sampled(() -> download(size, chunked)) : download(size, chunked);
        assertThat(d.response().statusCode()).isEqualTo(200);
        if (chunked) {
            assertThat(d.response().headers().firstValue("content-length")).isEmpty();
        } else {
            assertThat(d.response().headers().firstValueAsLong("content-length")).hasValue(size);
        }
        assertThat(d.sha256()).isEqualTo(Digests.sha256OfRandom(HttpTestServer.BYTES_SEED, size));
    }

    private record Download(HttpResponse<InputStream> response, String sha256) {
    }

    private static Download download(int size, boolean chunked) throws Exception {
        HttpResponse<InputStream> res = client.send(HttpRequest.newBuilder(
                        uri(outbound(), "/bytes/" + size + (chunked ? "?chunked=1" : "")))
                        .timeout(Duration.ofSeconds(60)).build(),
                HttpResponse.BodyHandlers.ofInputStream());
        try (InputStream body = res.body()) {
            return new Download(res, Digests.sha256Hex(body));
        }
    }

    @Test
    void inboundListenerEchoesToo() throws Exception {
        int size = 100 * KIB + 7;
        long seed = 77;
        HttpResponse<byte[]> res = client.send(HttpRequest.newBuilder(uri(proxy.inboundAddress(), "/echo"))
                        .timeout(Duration.ofSeconds(30))
                        .POST(publisher(seed, size, true)).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertThat(res.statusCode()).isEqualTo(200);
        assertThat(Digests.sha256Hex(res.body())).isEqualTo(Digests.sha256OfRandom(seed, size));
    }

    /** A streamed body of {@code size} bytes of seed {@code seed}: chunked, or with a content-length. */
    static HttpRequest.BodyPublisher publisher(long seed, long size, boolean chunked) {
        HttpRequest.BodyPublisher stream = HttpRequest.BodyPublishers.ofInputStream(
                () -> Digests.randomStream(seed, size));
        if (chunked) {
            return stream; // unknown length: the JDK client sends it chunked
        }
        return size == 0 ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.fromPublisher(stream, size);
    }

    private static InetSocketAddress outbound() {
        return proxy.upstreamAddress(Proxies.key("echo"));
    }

    static URI uri(InetSocketAddress at, String path) {
        return URI.create("http://127.0.0.1:" + at.getPort() + path);
    }
}
