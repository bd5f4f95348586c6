package io.remora.proxy.it.edge;

import com.fasterxml.jackson.databind.JsonNode;
import io.remora.config.testing.Eventually;
import io.remora.config.testing.TestMesh;
import io.remora.proxy.ProxyServer;
import io.remora.proxy.it.edge.Edge.KeepAlive;
import io.remora.proxy.it.edge.Edge.LineSink;
import io.remora.proxy.it.edge.Edge.RawResult;
import io.remora.proxy.it.edge.Edge.Reply;
import io.remora.proxy.testing.H2cClient;
import io.remora.proxy.testing.HttpTestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.List;

import static io.remora.config.testing.TestMesh.loopback;
import static io.remora.config.testing.TestMesh.route;
import static io.remora.config.testing.TestMesh.service;
import static io.remora.config.testing.TestMesh.sidecar;
import static io.remora.proxy.it.edge.Edge.ascii;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Answers the proxy gives itself and the response flag that explains each one, end to end: the
 * {@code x-remora-response-flags} header, the {@code response_flags} label of {@code istio_requests_total} in the
 * scrape, and the {@code flags} field of the JSON access-log line.
 */
@Timeout(60)
class LocalReplyFlagsTest {
    private static final Duration SOON = Duration.ofSeconds(5);

    private static HttpTestServer app;
    private static ClosingServer closer;
    private static LineSink accessLog;
    private static ProxyServer proxy;

    @BeforeAll
    static void start() throws Exception {
        app = new HttpTestServer("app");
        closer = new ClosingServer();
        accessLog = new LineSink();
        proxy = Edge.start(TestMesh.of(
                sidecar("edge", "test").threads(2).accessLog(true).upstream("routed.test").upstream("refused.test")
                        .upstream("empty.test").upstream("closer.test").upstream("plain.test"),
                service("routed", "test").protocol("http").endpoint(app.address()),
                route("routed", "test").services("routed.test")
                        .rule(r -> r.name("api-only").match("{path: {prefix: /api}}").backend("routed.test")),
                service("refused", "test").protocol("http").endpoint(loopback(Edge.closedPort())),
                service("empty", "test").protocol("http"),
                service("closer", "test").protocol("http").endpoint(loopback(closer.port())),
                service("plain", "test").protocol("http").endpoint(app.address())), accessLog);
    }

    @AfterAll
    static void stop() {
        if (proxy != null) {
            proxy.close();
        }
        if (accessLog != null) {
            accessLog.close();
        }
        if (closer != null) {
            closer.close();
        }
        if (app != null) {
            app.close();
        }
    }

    @Test
    void noMatchingRuleIs404WithNR() throws Exception {
        long before = app.requestCount();
        try (KeepAlive c = new KeepAlive(proxy.upstreamAddress("routed.test"))) {
            Reply miss = c.get("/other");
            assertThat(miss.status()).isEqualTo(404);
            assertThat(miss.header("x-remora-response-flags")).isEqualTo("NR");
            // A local reply keeps the connection: the next request on it is routed normally.
            Reply hit = c.get("/api/items");
            assertThat(hit.status()).isEqualTo(200);
            assertThat(hit.header("x-remora-response-flags")).isNull();
            assertThat(c.get("/other?x=/api").status()).isEqualTo(404);
        }
        // The same answer to an HTTP/2 client, on the same port.
        try (H2cClient h2 = new H2cClient(proxy.upstreamAddress("routed.test"))) {
            H2cClient.Response miss = h2.get("/other/h2");
            assertThat(miss.status()).isEqualTo(404);
            assertThat(miss.headers().get("x-remora-response-flags")).isEqualTo("NR");
        }
        assertThat(app.requestCount()).isEqualTo(before + 1);

        assertFlagRecorded("routed.test", "404", "NR", 3, "/other");
    }

    @Test
    void refusedUpstreamIs503WithUFAndURXOnceTheRetryFailedToo() throws Exception {
        try (KeepAlive c = new KeepAlive(proxy.upstreamAddress("refused.test"))) {
            for (int i = 0; i < 2; i++) {
                Reply r = c.get("/refused");
                assertThat(r.status()).isEqualTo(503);
                assertThat(r.header("x-remora-response-flags")).isEqualTo("UF,URX");
            }
        }
        try (H2cClient h2 = new H2cClient(proxy.upstreamAddress("refused.test"))) {
            H2cClient.Response r = h2.get("/refused/h2");
            assertThat(r.status()).isEqualTo(503);
            assertThat(r.headers().get("x-remora-response-flags")).isEqualTo("UF,URX");
        }
        assertFlagRecorded("refused.test", "503", "UF,URX", 3, "/refused");
        Eventually.eventually(SOON, () -> assertThat(Edge.get(proxy.adminAddress(), "/clusters").bodyText())
                .as("failed requests are no longer active").contains("::rq_active::0")
                .doesNotContainPattern("refused\\.test::[^\\n]*::rq_active::[1-9]"));
    }

    @Test
    void serviceWithoutEndpointsIs503WithUH() throws Exception {
        try (KeepAlive c = new KeepAlive(proxy.upstreamAddress("empty.test"))) {
            for (int i = 0; i < 2; i++) {
                Reply r = c.get("/empty");
                assertThat(r.status()).isEqualTo(503);
                assertThat(r.header("x-remora-response-flags")).isEqualTo("UH");
            }
        }
        assertFlagRecorded("empty.test", "503", "UH", 2, "/empty");
    }

    @Test
    void upstreamClosingBeforeTheResponseIs503WithUC() throws Exception {
        // A GET is retried once (reset-before-response); the retry closes too.
        Reply r = Edge.get(proxy.upstreamAddress("closer.test"), "/closed");
        assertThat(r.status()).isEqualTo(503);
        assertThat(r.header("x-remora-response-flags")).isEqualTo("UC,URX");
        assertFlagRecorded("closer.test", "503", "UC,URX", 1, "/closed");
    }

    @Test
    void malformedRequestIs400WithDPE() throws Exception {
        RawResult result = Edge.rawExchange(proxy.upstreamAddress("plain.test"),
                ascii("GET /dpe HTTP/1.1 junk\r\nHost: x\r\n\r\n"), SOON);
        assertThat(result.reply().status()).isEqualTo(400);
        assertThat(result.reply().header("x-remora-response-flags")).isEqualTo("DPE");
        Eventually.eventually(SOON, () -> assertThat(Edge.sample(Edge.scrape(proxy), "istio_requests_total",
                "response_flags", "DPE", "response_code", "400", "reporter", "source")).isEqualTo(1.0));
        Eventually.eventually(SOON, () -> assertThat(accessLines("DPE")).hasSize(1));
    }

    @Test
    void normalRequestsCarryNoFlag() throws Exception {
        Reply r = Edge.get(proxy.upstreamAddress("plain.test"), "/fine");
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.header("x-remora-response-flags")).isNull();
        Eventually.eventually(SOON, () -> assertThat(Edge.sample(Edge.scrape(proxy), "istio_requests_total",
                "destination_service", "plain.test.svc.cluster.local", "response_code", "200", "response_flags", "-")).isEqualTo(1.0));
        Eventually.eventually(SOON, () -> assertThat(accessLog.lines()).anySatisfy(l -> {
            assertThat(l.path("path").asText()).isEqualTo("/fine");
            assertThat(l.path("flags").asText()).isEqualTo("-");
            assertThat(l.path("status").asInt()).isEqualTo(200);
            assertThat(l.path("upstream_host").asText()).isEqualTo("127.0.0.1:" + app.port());
        }));
    }

    private static List<JsonNode> accessLines(String flag) {
        return accessLog.lines().stream().filter(l -> flag.equals(l.path("flags").asText())).toList();
    }

    /** The flag is counted on istio_requests_total and written on one access-log line per request. */
    private static void assertFlagRecorded(String service, String code, String flag, int requests, String path)
            throws Exception {
        Eventually.eventually(SOON, () -> {
            String scrape = Edge.scrape(proxy);
            assertThat(Edge.sample(scrape, "istio_requests_total", "reporter", "source",
                    "destination_service", service + ".svc.cluster.local", "response_code", code, "response_flags", flag))
                    .as("istio_requests_total{destination_service=%s,response_flags=%s}", service, flag)
                    .isEqualTo(requests);
        });
        Eventually.eventually(SOON, () -> {
            List<JsonNode> lines = accessLines(flag);
            assertThat(lines).as("access log lines with flags %s", flag).hasSize(requests);
            for (JsonNode l : lines) {
                assertThat(l.path("status").asInt()).isEqualTo(Integer.parseInt(code));
                assertThat(l.path("direction").asText()).isEqualTo("outbound");
                assertThat(l.path("protocol").asText()).isIn("HTTP/1.1", "HTTP/2");
                assertThat(l.path("method").asText()).isEqualTo("GET");
                assertThat(l.path("path").asText()).startsWith(path);
            }
        });
    }

    /** Accepts connections, reads the first bytes of the request, and closes without answering. */
    private static final class ClosingServer implements AutoCloseable {
        private final ServerSocket server;
        private final Thread thread;

        ClosingServer() throws IOException {
            server = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1"));
            thread = new Thread(this::run, "closing-server");
            thread.setDaemon(true);
            thread.start();
        }

        int port() {
            return server.getLocalPort();
        }

        private void run() {
            while (!server.isClosed()) {
                try (Socket s = server.accept()) {
                    s.setSoTimeout(2000);
                    InputStream in = s.getInputStream();
                    in.read(new byte[4096]);
                } catch (IOException e) {
                    // closed, or the peer went away: next one
                }
            }
        }

        @Override
        public void close() {
            try {
                server.close();
                thread.join(2000);
            } catch (IOException | InterruptedException e) {
                throw new IllegalStateException(e);
            }
        }
    }
}
