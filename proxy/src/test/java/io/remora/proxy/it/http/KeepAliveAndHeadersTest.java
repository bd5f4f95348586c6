package io.remora.proxy.it.http;

import io.netty.handler.codec.http.HttpMethod;
import io.remora.proxy.ProxyServer;
import io.remora.proxy.testing.H2cClient;
import io.remora.proxy.testing.HttpTestServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.InetSocketAddress;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * HTTP/1.1 connection handling and the headers the proxy adds: keep-alive on both hops, pipelining,
 * {@code Connection: close}, hop-by-hop stripping, {@code x-forwarded-for} and {@code x-request-id}. A fresh
 * upstream and proxy per test, so upstream connection counts start at zero.
 */
@Timeout(30)
class KeepAliveAndHeadersTest {
    private static final String UUID = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}";

    private HttpTestServer upstream;
    private ProxyServer proxy;

    @BeforeEach
    void start() throws Exception {
        upstream = new HttpTestServer("ka");
        proxy = Proxies.start(Proxies.sidecar("ka"), Proxies.service("ka", "http", upstream.address()));
    }

    @AfterEach
    void stop() {
        if (proxy != null) {
            proxy.close();
        }
        if (upstream != null) {
            upstream.close();
        }
    }

    private InetSocketAddress listener() {
        return proxy.upstreamAddress(Proxies.key("ka"));
    }

    @Test
    void sequentialRequestsOnOneConnectionReuseOneUpstreamConnection() throws Exception {
        try (RawHttp c = new RawHttp(listener())) {
            for (int i = 0; i < 5; i++) {
                c.send("GET /name HTTP/1.1\r\nhost: ka\r\n\r\n");
                RawHttp.Response res = c.readResponse();
                assertThat(res.status()).isEqualTo(200);
                assertThat(res.bodyText()).isEqualTo("ka");
                assertThat(res.header("connection")).as("keep-alive").isNull();

                c.send("POST /echo HTTP/1.1\r\nhost: ka\r\ncontent-length: 5\r\n\r\nhello");
                assertThat(c.readResponse("POST").bodyText()).isEqualTo("hello");

                c.send("GET /status/204 HTTP/1.1\r\nhost: ka\r\n\r\n");
                assertThat(c.readResponse().status()).isEqualTo(204);

                c.send("GET /bytes/3000?chunked=1 HTTP/1.1\r\nhost: ka\r\n\r\n");
                assertThat(c.readResponse().body()).isEqualTo(HttpTestServer.expectedBytes(3000));
            }
        }
        assertThat(upstream.requestCount()).isEqualTo(20);
        assertThat(upstream.connectionCount()).as("upstream connections for 20 sequential requests").isEqualTo(1);
    }

    @Test
    void separateClientConnectionsShareThePooledUpstreamConnection() throws Exception {
        for (int i = 0; i < 3; i++) {
            try (RawHttp c = new RawHttp(listener())) {
                c.send("GET /name HTTP/1.1\r\nhost: ka\r\n\r\n");
                assertThat(c.readResponse().bodyText()).isEqualTo("ka");
            }
        }
        assertThat(upstream.connectionCount()).isEqualTo(1);
    }

    @Test
    void pipelinedRequestsAreAnsweredInOrder() throws Exception {
        try (RawHttp c = new RawHttp(listener())) {
            c.send("GET /slow/300 HTTP/1.1\r\nhost: ka\r\n\r\n"
                    + "GET /name HTTP/1.1\r\nhost: ka\r\n\r\n"
                    + "POST /echo HTTP/1.1\r\nhost: ka\r\ncontent-length: 3\r\n\r\nabc"
                    + "GET /bytes/7 HTTP/1.1\r\nhost: ka\r\n\r\n"
                    + "GET /status/404 HTTP/1.1\r\nhost: ka\r\n\r\n");
            assertThat(c.readResponse().bodyText()).isEqualTo("slow\n");
            assertThat(c.readResponse().bodyText()).isEqualTo("ka");
            assertThat(c.readResponse("POST").bodyText()).isEqualTo("abc");
            assertThat(c.readResponse().body()).isEqualTo(HttpTestServer.expectedBytes(7));
            assertThat(c.readResponse().status()).isEqualTo(404);
            // and the connection is still good afterwards
            c.send("GET /name HTTP/1.1\r\nhost: ka\r\n\r\n");
            assertThat(c.readResponse().bodyText()).isEqualTo("ka");
        }
        assertThat(upstream.requestCount()).isEqualTo(6);
    }

    @Test
    void connectionCloseFromTheClientClosesAfterTheResponseButNotTheUpstream() throws Exception {
        try (RawHttp c = new RawHttp(listener())) {
            c.send("GET /bytes/100 HTTP/1.1\r\nhost: ka\r\nconnection: close\r\nx-reflect: connection\r\n\r\n");
            RawHttp.Response res = c.readResponse();
            assertThat(res.status()).isEqualTo(200);
            assertThat(res.body()).isEqualTo(HttpTestServer.expectedBytes(100));
            assertThat(res.header("connection")).isEqualToIgnoringCase("close");
            assertThat(res.header("x-seen-connection")).as("Connection is hop-by-hop").isNull();
            assertThat(c.closedByPeer()).as("the proxy closes after the response").isTrue();
        }
        try (RawHttp c = new RawHttp(listener())) {
            c.send("GET /name HTTP/1.1\r\nhost: ka\r\n\r\n");
            assertThat(c.readResponse().bodyText()).isEqualTo("ka");
        }
        assertThat(upstream.connectionCount()).as("the upstream connection stayed pooled").isEqualTo(1);
    }

    @Test
    void requestsPipelinedAfterConnectionCloseAreNotServed() throws Exception {
        try (RawHttp c = new RawHttp(listener())) {
            c.send("GET /name HTTP/1.1\r\nhost: ka\r\nconnection: close\r\n\r\n"
                    + "GET /bytes/5 HTTP/1.1\r\nhost: ka\r\n\r\n");
            RawHttp.Response res = c.readResponse();
            assertThat(res.bodyText()).isEqualTo("ka");
            assertThat(res.header("connection")).isEqualToIgnoringCase("close");
            assertThat(c.closedByPeer()).isTrue();
        }
        assertThat(upstream.requestCount()).isEqualTo(1);
    }

    @Test
    void http10WithoutKeepAliveIsClosedAfterTheResponse() throws Exception {
        try (RawHttp c = new RawHttp(listener())) {
            c.send("GET /name HTTP/1.0\r\nhost: ka\r\n\r\n");
            RawHttp.Response res = c.readResponse();
            assertThat(res.status()).isEqualTo(200);
            assertThat(res.bodyText()).isEqualTo("ka");
            assertThat(c.closedByPeer()).isTrue();
        }
    }

    @Test
    void http10KeepAliveIsHonouredWithDelimitedBodies() throws Exception {
        try (RawHttp c = new RawHttp(listener())) {
            c.send("GET /name HTTP/1.0\r\nhost: ka\r\nconnection: keep-alive\r\n\r\n");
            RawHttp.Response res = c.readResponse();
            assertThat(res.status()).isEqualTo(200);
            assertThat(res.header("connection")).isEqualToIgnoringCase("keep-alive");
            assertThat(res.bodyText()).isEqualTo("ka");
            c.send("GET /bytes/10 HTTP/1.0\r\nhost: ka\r\nconnection: keep-alive\r\n\r\n");
            assertThat(c.readResponse().body()).isEqualTo(HttpTestServer.expectedBytes(10));
        }
    }

    @Test
    void http10ClientNeverGetsAChunkedBody() throws Exception {
        // RFC 9112 §7: chunked must not be sent to an HTTP/1.0 recipient; the upstream answers chunked here
        try (RawHttp c = new RawHttp(listener())) {
            c.send("GET /bytes/3000?chunked=1 HTTP/1.0\r\nhost: ka\r\n\r\n");
            RawHttp.Head head = c.readHead();
            assertThat(head.status()).isEqualTo(200);
            assertThat(head.header("transfer-encoding")).as("transfer-encoding sent to an HTTP/1.0 client").isNull();
            // no chunked framing: the body is delimited by content-length or by the close
            byte[] body = c.body(head, "GET").readAllBytes();
            assertThat(body).isEqualTo(HttpTestServer.expectedBytes(3000));
        }
    }

    @Test
    void forwardedForIsAppendedAndRequestIdAddedWhenMissingAndKeptWhenPresent() throws Exception {
        String reflect = "x-reflect: x-forwarded-for, x-request-id, x-forwarded-proto\r\n";
        try (RawHttp c = new RawHttp(listener())) {
            c.send("GET /name HTTP/1.1\r\nhost: ka\r\n" + reflect + "\r\n");
            RawHttp.Response first = c.readResponse();
            assertThat(first.header("x-seen-x-forwarded-for")).isEqualTo("127.0.0.1");
            assertThat(first.header("x-seen-x-forwarded-proto")).isEqualTo("http");
            String id1 = first.header("x-seen-x-request-id");
            assertThat(id1).matches(UUID);

            c.send("GET /name HTTP/1.1\r\nhost: ka\r\n" + reflect + "x-forwarded-for: 10.1.2.3, 10.4.5.6\r\n"
                    + "x-request-id: rid-kept-42\r\n\r\n");
            RawHttp.Response second = c.readResponse();
            assertThat(second.header("x-seen-x-forwarded-for")).isEqualTo("10.1.2.3, 10.4.5.6, 127.0.0.1");
            assertThat(second.head().headers().stream().filter(h -> h[0].equalsIgnoreCase("x-seen-x-request-id")))
                    .as("exactly the client's id").singleElement()
                    .satisfies(h -> assertThat(h[1]).isEqualTo("rid-kept-42"));

            c.send("GET /name HTTP/1.1\r\nhost: ka\r\n" + reflect + "\r\n");
            String id3 = c.readResponse().header("x-seen-x-request-id");
            assertThat(id3).matches(UUID).isNotEqualTo(id1);
        }
    }

    @Test
    void forwardedForSplitOverSeveralFieldLinesKeepsEveryHop() throws Exception {
        // RFC 9110 §5.3: several field lines of one name mean the same as one line joined with commas
        try (RawHttp c = new RawHttp(listener())) {
            c.send("GET /name HTTP/1.1\r\nhost: ka\r\nx-forwarded-for: 10.0.0.1\r\nx-forwarded-for: 10.0.0.2\r\n"
                    + "x-reflect: x-forwarded-for\r\n\r\n");
            RawHttp.Response res = c.readResponse();
            assertThat(res.status()).isEqualTo(200);
        }
        assertThat(String.join(", ", upstream.lastRequest().headers().getAll("x-forwarded-for")))
                .isEqualTo("10.0.0.1, 10.0.0.2, 127.0.0.1");
    }

    @Test
    void hopByHopHeadersAreNotForwarded() throws Exception {
        try (RawHttp c = new RawHttp(listener())) {
            c.send("GET /name HTTP/1.1\r\nhost: ka\r\nconnection: keep-alive, x-private\r\nx-private: secret\r\n"
                    + "keep-alive: timeout=5\r\nproxy-authorization: Basic Zm9vOmJhcg==\r\nte: gzip\r\n"
                    + "x-end-to-end: kept\r\n"
                    + "x-reflect: connection, x-private, keep-alive, proxy-authorization, te, x-end-to-end\r\n\r\n");
            RawHttp.Response res = c.readResponse();
            assertThat(res.status()).isEqualTo(200);
            assertThat(res.header("x-seen-connection")).isNull();
            assertThat(res.header("x-seen-x-private")).as("named in Connection").isNull();
            assertThat(res.header("x-seen-keep-alive")).isNull();
            assertThat(res.header("x-seen-proxy-authorization")).isNull();
            assertThat(res.header("x-seen-te")).isNull();
            assertThat(res.header("x-seen-x-end-to-end")).isEqualTo("kept");
        }
    }

    @Test
    void h2DownstreamGetsTheSameForwardingHeaders() throws Exception {
        try (H2cClient h2 = new H2cClient(listener())) {
            H2cClient.Response res = h2.request(HttpMethod.GET, "/name",
                    Map.of("x-reflect", "x-forwarded-for, x-request-id", "x-forwarded-for", "192.0.2.1"),
                    new byte[0]);
            assertThat(res.status()).isEqualTo(200);
            assertThat(res.bodyText()).isEqualTo("ka");
            assertThat(res.headers().get("x-seen-x-forwarded-for")).isEqualTo("192.0.2.1, 127.0.0.1");
            assertThat(res.headers().get("x-seen-x-request-id")).matches(UUID);
        }
        assertThat(upstream.lastRequest().protocol()).isEqualTo("http/1.1");
        assertThat(upstream.lastRequest().headers().get("x-forwarded-for")).isEqualTo("192.0.2.1, 127.0.0.1");
    }
}
