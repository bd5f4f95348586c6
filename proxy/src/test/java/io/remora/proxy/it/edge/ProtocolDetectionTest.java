package io.remora.proxy.it.edge;

import io.remora.config.testing.TestMesh;
import io.remora.proxy.ProxyServer;
import io.remora.proxy.it.edge.Edge.KeepAlive;
import io.remora.proxy.it.edge.Edge.RawResult;
import io.remora.proxy.it.edge.Edge.Reply;
import io.remora.proxy.testing.H2cClient;
import io.remora.proxy.testing.HttpTestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;

import static io.remora.config.testing.TestMesh.service;
import static io.remora.config.testing.TestMesh.sidecar;
import static io.remora.proxy.it.edge.Edge.ascii;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Protocol detection on the explicit listener of a service declared {@code http}: HTTP/1.1 and HTTP/2 with prior
 * knowledge share the port, detection copes with bytes trickling in, and bytes that are not HTTP are answered 400
 * by the proxy (the declared protocol wins) instead of being relayed to the endpoint.
 */
@Timeout(60)
class ProtocolDetectionTest {
    private static HttpTestServer app;
    private static ProxyServer proxy;
    private static InetSocketAddress listener;

    @BeforeAll
    static void start() throws Exception {
        app = new HttpTestServer("app");
        proxy = Edge.start(TestMesh.of(sidecar("edge", "test").threads(2).upstream("app.test"),
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

    @Test
    void http11AndH2cPriorKnowledgeShareThePort() throws Exception {
        try (KeepAlive h1 = new KeepAlive(listener)) {
            Reply r = h1.get("/name");
            assertThat(r.status()).isEqualTo(200);
            assertThat(r.bodyText()).isEqualTo("app");
            assertThat(app.lastRequest().protocol()).isEqualTo("http/1.1");
        }
        try (H2cClient h2 = new H2cClient(listener)) {
            for (int i = 0; i < 3; i++) {
                H2cClient.Response r = h2.get("/name?stream=" + i);
                assertThat(r.status()).isEqualTo(200);
                assertThat(r.bodyText()).isEqualTo("app");
                assertThat(r.headers().get("x-served-by")).isEqualTo("app");
                // The service is declared http: the proxy speaks HTTP/1.1 to it, whatever the client spoke.
                assertThat(r.headers().get("x-protocol")).isEqualTo("http/1.1");
                assertThat(app.lastRequest().uri()).isEqualTo("/name?stream=" + i);
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"SSH-2.0-OpenSSH_9.6\r\n", "*1\r\n$4\r\nPING\r\n", "HELLO proxy\r\n\r\n",
            "PRI * HTTP/1.1\r\n\r\n"})
    void bytesThatAreNotHttpAreAnswered400(String bytes) throws Exception {
        long before = app.requestCount();

        RawResult result = Edge.rawExchange(listener, ascii(bytes), Duration.ofSeconds(8));

        assertThat(result.bytes()).as("a reply from the proxy").isNotEmpty();
        assertThat(result.reply().status()).as(result.text()).isEqualTo(400);
        assertThat(result.reply().header("x-remora-response-flags")).isEqualTo("DPE");
        assertThat(result.closed()).isTrue();
        assertThat(Edge.get(listener, "/name").status()).isEqualTo(200);
        assertThat(app.requestCount()).as("only the good request reached the app").isEqualTo(before + 1);
    }

    @Test
    void clientSilentPastTheDetectionTimeoutIsStillServedAsHttp() throws Exception {
        try (Socket s = new Socket()) {
            s.connect(listener, 2000);
            // Nothing arrives within the 5 s detection timeout: the connection is handed over as opaque, but the
            // service is declared http, so the HTTP codec takes it and the late request is still answered.
            RawResult quiet = Edge.readUntilEof(s, Duration.ofMillis(5500));
            assertThat(quiet.bytes()).isEmpty();
            assertThat(quiet.closed()).isFalse();
            s.getOutputStream().write(ascii("GET /name HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
            RawResult result = Edge.readUntilEof(s, Duration.ofSeconds(5));
            assertThat(result.reply().status()).as(result.text()).isEqualTo(200);
            assertThat(result.reply().bodyText()).isEqualTo("app");
        }
    }

    @Test
    void requestTricklingInByteByByteIsStillDetected() throws Exception {
        byte[] request = ascii("GET /name HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        try (Socket s = new Socket()) {
            s.setTcpNoDelay(true);
            s.connect(listener, 2000);
            OutputStream out = s.getOutputStream();
            for (byte b : request) {
                out.write(b);
                out.flush();
            }
            RawResult result = Edge.readUntilEof(s, Duration.ofSeconds(5));
            assertThat(result.reply().status()).as(result.text()).isEqualTo(200);
            assertThat(result.reply().bodyText()).isEqualTo("app");
        }
    }
}
