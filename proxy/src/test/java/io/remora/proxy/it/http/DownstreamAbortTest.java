package io.remora.proxy.it.http;

import io.netty.handler.codec.http.HttpMethod;
import io.remora.config.testing.Eventually;
import io.remora.proxy.ProxyServer;
import io.remora.proxy.testing.Digests;
import io.remora.proxy.testing.HttpTestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.InputStream;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A client that goes away in the middle of an exchange (closes its connection, or resets its HTTP/2 stream)
 * must not leave a half-read upstream connection in the pool: the next request gets a whole, correct
 * response.
 *
 * <p>The HTTP/2 upstream is {@link CountingH2Upstream}, not {@link HttpTestServer}: the latter keeps generating
 * the rest of a {@code /bytes} body after its stream was reset (a closed stream channel reports itself
 * writable), which with paranoid leak detection keeps its event loop busy for tens of seconds.
 */
@Timeout(60)
class DownstreamAbortTest {
    private static final int BIG = 64 * 1024 * 1024;

    private static HttpTestServer upstream;
    private static CountingH2Upstream h2Upstream;
    private static ProxyServer proxy;

    @BeforeAll
    static void start() throws Exception {
        upstream = new HttpTestServer("abort");
        h2Upstream = new CountingH2Upstream(HttpTestServer.BYTES_SEED, 0);
        proxy = Proxies.start(Proxies.sidecar("via-h1", "via-h2"),
                Proxies.service("via-h1", "http", upstream.address()),
                Proxies.service("via-h2", "http2", h2Upstream.address()));
    }

    @AfterAll
    static void stop() {
        if (proxy != null) {
            proxy.close();
        }
        if (upstream != null) {
            upstream.close();
        }
        if (h2Upstream != null) {
            h2Upstream.close();
        }
    }

    private static InetSocketAddress listener(String service) {
        return proxy.upstreamAddress(Proxies.key(service));
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"via-h1", "via-h2"})
    void http1ClientClosingMidResponseLeavesNoHalfReadUpstream(String service) throws Exception {
        for (int round = 0; round < 3; round++) {
            try (RawHttp c = new RawHttp(listener(service), 64 * 1024)) {
                c.send("GET /bytes/" + BIG + " HTTP/1.1\r\nhost: abort\r\n\r\n");
                RawHttp.Head head = c.readHead();
                assertThat(head.status()).isEqualTo(200);
                InputStream body = c.body(head, "GET");
                assertThat(body.readNBytes(100_000)).hasSize(100_000);
            } // closed with most of the body unread
            try (RawHttp c = new RawHttp(listener(service))) {
                c.send("GET /bytes/1000 HTTP/1.1\r\nhost: abort\r\n\r\n");
                RawHttp.Response res = c.readResponse();
                assertThat(res.status()).isEqualTo(200);
                assertThat(res.body()).isEqualTo(HttpTestServer.expectedBytes(1000));
            }
        }
    }

    @Test
    void http1ClientClosingBeforeTheResponseLeavesNoStaleUpstream() throws Exception {
        for (int round = 0; round < 3; round++) {
            long seen = upstream.requestCount();
            try (RawHttp c = new RawHttp(listener("via-h1"))) {
                c.send("GET /slow/300 HTTP/1.1\r\nhost: abort\r\n\r\n");
                Eventually.within(Duration.ofSeconds(10))
                        .until("the request to reach the upstream", () -> upstream.requestCount() > seen);
            } // closed while the upstream is still working on the answer
            try (RawHttp c = new RawHttp(listener("via-h1"))) {
                c.send("GET /name HTTP/1.1\r\nhost: abort\r\n\r\n");
                RawHttp.Response res = c.readResponse();
                assertThat(res.status()).isEqualTo(200);
                assertThat(res.bodyText()).isEqualTo("abort");
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"via-h1", "via-h2"})
    void h2StreamResetMidResponseLeavesTheConnectionAndUpstreamUsable(String service) throws Exception {
        try (StreamingH2Client client = new StreamingH2Client(listener(service), 64 * 1024, 0)) {
            for (int round = 0; round < 3; round++) {
                StreamingH2Client.Call call = client.start(HttpMethod.GET, "/bytes/" + BIG, Map.of(), null, 128 * 1024);
                Eventually.within(Duration.ofSeconds(20))
                        .until("the first 128 KiB", () -> call.received() >= 128 * 1024);
                call.cancel();

                StreamingH2Client.Result next = client.start(HttpMethod.GET, "/bytes/1000", Map.of(), null)
                        .await(Duration.ofSeconds(20));
                assertThat(next.status()).isEqualTo(200);
                assertThat(next.sha256()).isEqualTo(Digests.sha256Hex(HttpTestServer.expectedBytes(1000)));
            }
        }
    }
}
