package io.remora.proxy.it.http;

import io.remora.config.testing.Eventually;
import io.remora.proxy.ProxyServer;
import io.remora.proxy.testing.Digests;
import io.remora.proxy.testing.WebSocketEchoServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * WebSocket (JDK client) through an explicit upstream listener of a {@code protocol: http} service: the
 * upgrade reaches the upstream, then text, binary and close frames cross the byte tunnel both ways.
 */
@Timeout(60)
class WebSocketProxyTest {
    private static WebSocketEchoServer echo;
    private static ProxyServer proxy;
    private static HttpClient client;

    @BeforeAll
    static void start() throws Exception {
        echo = new WebSocketEchoServer();
        proxy = Proxies.start(Proxies.sidecar("ws"), Proxies.service("ws", "http", echo.address()));
        client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    }

    @AfterAll
    static void stop() {
        if (proxy != null) {
            proxy.close();
        }
        if (echo != null) {
            echo.close();
        }
    }

    private static URI uri(String scheme, String path) {
        return URI.create(scheme + "://127.0.0.1:" + proxy.upstreamAddress(Proxies.key("ws")).getPort() + path);
    }

    /** Collects whole messages (text as String, binary as byte[]) and the close code, in arrival order. */
    private static final class Collector implements WebSocket.Listener {
        final BlockingQueue<Object> events = new LinkedBlockingQueue<>();
        final CompletableFuture<Integer> closed = new CompletableFuture<>();
        private final StringBuilder text = new StringBuilder();
        private final ByteArrayOutputStream binary = new ByteArrayOutputStream();

        @Override
        public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
            text.append(data);
            if (last) {
                events.add(text.toString());
                text.setLength(0);
            }
            ws.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onBinary(WebSocket ws, ByteBuffer data, boolean last) {
            byte[] b = new byte[data.remaining()];
            data.get(b);
            binary.writeBytes(b);
            if (last) {
                events.add(binary.toByteArray());
                binary.reset();
            }
            ws.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onClose(WebSocket ws, int statusCode, String reason) {
            closed.complete(statusCode);
            return null;
        }

        @Override
        public void onError(WebSocket ws, Throwable error) {
            closed.completeExceptionally(error);
            events.add(error);
        }

        Object next() throws InterruptedException {
            Object o = events.poll(20, TimeUnit.SECONDS);
            assertThat(o).as("a message within 20 s").isNotNull();
            return o;
        }
    }

    @Test
    void textBinaryAndCloseCrossTheTunnel() throws Exception {
        long connectionsBefore = echo.connectionCount();
        Collector c = new Collector();
        WebSocket ws = client.newWebSocketBuilder().connectTimeout(Duration.ofSeconds(5))
                .buildAsync(uri("ws", WebSocketEchoServer.PATH), c).get(10, TimeUnit.SECONDS);
        try {
            ws.sendText("hello, mesh", true).get(10, TimeUnit.SECONDS);
            assertThat(c.next()).isEqualTo("hello, mesh");

            byte[] blob = Digests.randomBytes(5, 300 * 1024 + 3);
            ws.sendBinary(ByteBuffer.wrap(blob), true).get(10, TimeUnit.SECONDS);
            assertThat(c.next()).isInstanceOf(byte[].class)
                    .satisfies(b -> assertThat(Digests.sha256Hex((byte[]) b)).isEqualTo(Digests.sha256Hex(blob)));

            String big = "x".repeat(200_000) + "é";
            ws.sendText(big, true).get(10, TimeUnit.SECONDS);
            assertThat(c.next()).isEqualTo(big);

            for (int i = 0; i < 50; i++) {
                ws.sendText("m" + i, true).get(10, TimeUnit.SECONDS);
            }
            for (int i = 0; i < 50; i++) {
                assertThat(c.next()).isEqualTo("m" + i);
            }

            ws.sendClose(WebSocket.NORMAL_CLOSURE, "bye").get(10, TimeUnit.SECONDS);
            assertThat(c.closed.get(20, TimeUnit.SECONDS)).isEqualTo(WebSocket.NORMAL_CLOSURE);
        } finally {
            ws.abort();
        }
        assertThat(echo.connectionCount() - connectionsBefore).as("one upstream connection per WebSocket")
                .isEqualTo(1);
        assertThat(echo.framesEchoed()).isGreaterThanOrEqualTo(53);
    }

    @Test
    void bytesTheUpstreamSendsRightAfterThe101AreNotLost() throws Exception {
        // An upstream that speaks first after the handshake: its first bytes share a TCP segment with the 101.
        try (RawUpstream up = new RawUpstream(RawUpstream.upgradeThenGreetAndEcho("HELLO-FROM-SERVER"));
             ProxyServer p = Proxies.start(Proxies.sidecar("raw-ws"),
                     Proxies.service("raw-ws", "http", up.address()));
             RawHttp c = new RawHttp(p.upstreamAddress(Proxies.key("raw-ws")))) {
            c.send("GET /ws HTTP/1.1\r\nhost: raw-ws\r\nconnection: Upgrade\r\nupgrade: websocket\r\n"
                    + "sec-websocket-version: 13\r\nsec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n");
            RawHttp.Head head = c.readHead();
            assertThat(head.status()).isEqualTo(101);
            assertThat(head.header("upgrade")).isEqualToIgnoringCase("websocket");
            assertThat(new String(c.input().readNBytes(17), StandardCharsets.US_ASCII)).isEqualTo("HELLO-FROM-SERVER");
            c.send("ping-1");
            assertThat(new String(c.input().readNBytes(6), StandardCharsets.US_ASCII)).isEqualTo("ping-1");
        }
    }

    @Test
    void aTunnelIsRecordedWhenItEndsWithItsBytesBothWays() throws Exception {
        try (RawUpstream up = new RawUpstream(RawUpstream.upgradeThenGreetAndEcho("HELLO-FROM-SERVER"));
             ProxyServer p = Proxies.start(Proxies.sidecar("raw-ws2"),
                     Proxies.service("raw-ws2", "http", up.address()))) {
            try (RawHttp c = new RawHttp(p.upstreamAddress(Proxies.key("raw-ws2")))) {
                c.send("GET /ws HTTP/1.1\r\nhost: raw-ws2\r\nconnection: Upgrade\r\nupgrade: websocket\r\n"
                        + "sec-websocket-version: 13\r\nsec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n");
                assertThat(c.readHead().status()).isEqualTo(101);
                assertThat(new String(c.input().readNBytes(17), StandardCharsets.US_ASCII))
                        .isEqualTo("HELLO-FROM-SERVER");
                c.send("ping-1");
                assertThat(new String(c.input().readNBytes(6), StandardCharsets.US_ASCII)).isEqualTo("ping-1");
            }
            String[] labels = {"destination_service", "raw-ws2.test.svc.cluster.local", "response_code", "101"};
            Eventually.eventually(Duration.ofSeconds(5), () -> assertThat(io.remora.proxy.it.edge.Edge
                    .sample(io.remora.proxy.it.edge.Edge.scrape(p), "istio_requests_total", labels)).isEqualTo(1));
            String scrape = io.remora.proxy.it.edge.Edge.scrape(p);
            assertThat(io.remora.proxy.it.edge.Edge.sample(scrape, "istio_request_bytes_sum", labels))
                    .as("the caller's bytes through the tunnel").isEqualTo(6);
            assertThat(io.remora.proxy.it.edge.Edge.sample(scrape, "istio_response_bytes_sum", labels))
                    .as("the upstream's bytes through the tunnel").isEqualTo(17 + 6);
        }
    }

    @Test
    void plainRequestsStillWorkBesideTunnels() throws Exception {
        Collector c = new Collector();
        WebSocket ws = client.newWebSocketBuilder().buildAsync(uri("ws", WebSocketEchoServer.PATH), c)
                .get(10, TimeUnit.SECONDS);
        try {
            HttpResponse<String> res = client.send(HttpRequest.newBuilder(uri("http", "/not-a-socket"))
                    .version(HttpClient.Version.HTTP_1_1).timeout(Duration.ofSeconds(10)).build(),
                    HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
            assertThat(res.statusCode()).isEqualTo(404);
            assertThat(res.body()).isEqualTo("not found\n");
            ws.sendText("still open", true).get(10, TimeUnit.SECONDS);
            assertThat(c.next()).isEqualTo("still open");
            ws.sendClose(WebSocket.NORMAL_CLOSURE, "").get(10, TimeUnit.SECONDS);
            assertThat(c.closed.get(20, TimeUnit.SECONDS)).isEqualTo(WebSocket.NORMAL_CLOSURE);
        } finally {
            ws.abort();
        }
    }
}
