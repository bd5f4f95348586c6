package io.remora.proxy.it.http;

import io.netty.handler.codec.http.HttpMethod;
import io.remora.proxy.ProxyServer;
import io.remora.proxy.testing.Digests;
import io.remora.proxy.testing.HttpTestServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Response framing across the proxy on a kept-alive downstream connection: a body delimited by the upstream
 * closing, bodiless responses (HEAD, 204, 304), upstream connections that announce their close, and a head whose
 * body comes in a later read than the head (the proxy passes a head and a body read together on as one message).
 * Misframing shows as a corrupt next response on the same connection.
 */
@Timeout(30)
class ResponseFramingTest {
    private RawUpstream raw;
    private HttpTestServer upstream;
    private ProxyServer proxy;

    @AfterEach
    void stop() throws IOException {
        if (proxy != null) {
            proxy.close();
        }
        if (raw != null) {
            raw.close();
        }
        if (upstream != null) {
            upstream.close();
        }
    }

    private InetSocketAddress startRaw(RawUpstream.Behaviour... behaviours) throws Exception {
        raw = new RawUpstream(behaviours);
        proxy = Proxies.start(Proxies.sidecar("raw"), Proxies.service("raw", "http", raw.address()));
        return proxy.upstreamAddress(Proxies.key("raw"));
    }

    @Test
    void closeDelimitedUpstreamBodyIsReframedForAKeptAliveHttp1Client() throws Exception {
        int size = 200_000;
        InetSocketAddress listener = startRaw(RawUpstream.closeDelimited(9, size), RawUpstream.ok("fine"));
        try (RawHttp c = new RawHttp(listener)) {
            c.send("GET /a HTTP/1.1\r\nhost: raw\r\n\r\n");
            RawHttp.Response res = c.readResponse();
            assertThat(res.status()).isEqualTo(200);
            assertThat(res.head().chunked() || res.head().contentLength() == size)
                    .as("a delimited body on a kept-alive connection").isTrue();
            assertThat(Digests.sha256Hex(res.body())).isEqualTo(Digests.sha256OfRandom(9, size));
            c.send("GET /b HTTP/1.1\r\nhost: raw\r\n\r\n");
            assertThat(c.readResponse().bodyText()).isEqualTo("fine");
        }
    }

    @Test
    void closeDelimitedUpstreamBodyEndsTheH2StreamCleanly() throws Exception {
        int size = 200_000;
        InetSocketAddress listener = startRaw(RawUpstream.closeDelimited(10, size), RawUpstream.ok("fine"));
        try (StreamingH2Client client = new StreamingH2Client(listener)) {
            StreamingH2Client.Result res = client.start(HttpMethod.GET, "/a", Map.of(), null)
                    .await(Duration.ofSeconds(15));
            assertThat(res.status()).isEqualTo(200);
            assertThat(res.bodyBytes()).isEqualTo(size);
            assertThat(res.sha256()).isEqualTo(Digests.sha256OfRandom(10, size));
        }
    }

    @Test
    void aBodyReadApartFromItsHeadGoesOutWholeAndTheConnectionStaysInStep() throws Exception {
        InetSocketAddress listener = startRaw(RawUpstream.headThenBodyLater("later", 150));
        try (RawHttp c = new RawHttp(listener)) {
            for (int i = 0; i < 2; i++) {
                c.send("GET /later HTTP/1.1\r\nhost: raw\r\n\r\n");
                RawHttp.Response res = c.readResponse();
                assertThat(res.status()).as("request %d", i).isEqualTo(200);
                assertThat(res.head().contentLength()).isEqualTo(5);
                assertThat(res.bodyText()).isEqualTo("later");
            }
        }
        assertThat(raw.connectionCount()).isEqualTo(1);
    }

    @Test
    void aHeadAndBodyReadTogetherGoOutAsOneResponseOverHttp2Too() throws Exception {
        InetSocketAddress listener = startRaw(RawUpstream.ok("together"));
        try (StreamingH2Client client = new StreamingH2Client(listener)) {
            for (int i = 0; i < 2; i++) {
                StreamingH2Client.Result res = client.start(HttpMethod.GET, "/t", Map.of(), null)
                        .await(Duration.ofSeconds(15));
                assertThat(res.status()).as("stream %d", i).isEqualTo(200);
                assertThat(res.bodyBytes()).isEqualTo(8);
            }
        }
    }

    @Test
    void upstreamConnectionThatAnnouncesCloseIsNotReused() throws Exception {
        InetSocketAddress listener = startRaw(RawUpstream.okThenClose("once"));
        try (RawHttp c = new RawHttp(listener)) {
            for (int i = 0; i < 3; i++) {
                c.send("GET /n HTTP/1.1\r\nhost: raw\r\n\r\n");
                RawHttp.Response res = c.readResponse();
                assertThat(res.status()).as("request %d", i).isEqualTo(200);
                assertThat(res.bodyText()).isEqualTo("once");
                assertThat(res.header("connection")).as("the upstream's close is not the client's").isNull();
            }
        }
        assertThat(raw.connectionCount()).isEqualTo(3);
    }

    @Test
    void bodilessResponsesKeepTheConnectionInStep() throws Exception {
        upstream = new HttpTestServer("framing");
        proxy = Proxies.start(Proxies.sidecar("f"), Proxies.service("f", "http", upstream.address()));
        try (RawHttp c = new RawHttp(proxy.upstreamAddress(Proxies.key("f")))) {
            c.send("HEAD /bytes/5000 HTTP/1.1\r\nhost: f\r\n\r\n");
            RawHttp.Response head = c.readResponse("HEAD");
            assertThat(head.status()).isEqualTo(200);
            assertThat(head.head().contentLength()).isEqualTo(5000);
            assertThat(head.body()).isEmpty();

            c.send("GET /status/204 HTTP/1.1\r\nhost: f\r\n\r\n");
            assertThat(c.readResponse().status()).isEqualTo(204);

            c.send("GET /status/304 HTTP/1.1\r\nhost: f\r\n\r\n");
            assertThat(c.readResponse().status()).isEqualTo(304);

            c.send("GET /bytes/10 HTTP/1.1\r\nhost: f\r\n\r\n");
            RawHttp.Response after = c.readResponse();
            assertThat(after.status()).isEqualTo(200);
            assertThat(after.body()).isEqualTo(HttpTestServer.expectedBytes(10));
        }
        assertThat(upstream.connectionCount()).isEqualTo(1);
    }
}
