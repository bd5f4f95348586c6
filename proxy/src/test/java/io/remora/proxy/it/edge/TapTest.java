package io.remora.proxy.it.edge;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.remora.config.testing.Eventually;
import io.remora.config.testing.TestMesh;
import io.remora.proxy.ProxyServer;
import io.remora.proxy.testing.HttpTestServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code GET /debug/tap}: a reader on loopback gets one JSON line per finished request as it completes, filtered by
 * path prefix, authority and status class; a reader that does not read loses lines (counted) and never slows or
 * fails the requests; a bad filter is a 400 saying what is expected.
 */
@Timeout(60)
class TapTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpClient http = HttpClient.newHttpClient();
    private HttpTestServer app;
    private ProxyServer proxy;

    @BeforeEach
    void start() throws Exception {
        app = new HttpTestServer("app");
        proxy = Edge.start(TestMesh.of(TestMesh.sidecar("web", "test").upstream("a.test"),
                TestMesh.service("a", "test").endpoints(TestMesh.loopback(app.port()))));
    }

    @AfterEach
    void stop() {
        proxy.close();
        app.close();
    }

    private int get(String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                + proxy.upstreamAddress("a.test").getPort() + path)).build(), HttpResponse.BodyHandlers.discarding())
                .statusCode();
    }

    private Socket tap(String query) throws Exception {
        Socket s = new Socket("127.0.0.1", proxy.adminAddress().getPort());
        OutputStream out = s.getOutputStream();
        out.write(("GET /debug/tap" + query + " HTTP/1.1\r\nHost: admin\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        out.flush();
        return s;
    }

    /** Reads the head, then returns the next JSON line of the chunked body (chunk-size lines skipped). */
    private static JsonNode nextLine(BufferedReader in) throws Exception {
        String line;
        while ((line = in.readLine()) != null) {
            if (line.startsWith("{")) {
                return JSON.readTree(line);
            }
        }
        throw new AssertionError("the tap ended");
    }

    @Test
    void aReaderGetsTheRequestsItsFilterTakesAsTheyComplete() throws Exception {
        try (Socket s = tap("?path=/only&status=2xx")) {
            BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
            assertThat(in.readLine()).isEqualTo("HTTP/1.1 200 OK");
            Eventually.eventually(Duration.ofSeconds(5), () -> assertThat(proxy.context().tap().readers()).isOne());
            assertThat(get("/other")).isEqualTo(200);
            assertThat(get("/only/one")).isEqualTo(200);
            JsonNode n = nextLine(in);
            assertThat(n.get("type").asText()).isEqualTo("access");
            assertThat(n.get("path").asText()).isEqualTo("/only/one");
            assertThat(n.get("status").asInt()).isEqualTo(200);
            assertThat(n.get("direction").asText()).isEqualTo("outbound");
            assertThat(n.get("flags").asText()).isEqualTo("-");
        }
        Eventually.eventually(Duration.ofSeconds(5), () -> assertThat(proxy.context().tap().readers()).isZero());
    }

    @Test
    void aReaderThatDoesNotReadLosesLinesCountedAndNeverSlowsTheRequests() throws Exception {
        try (Socket s = new Socket()) {
            s.setReceiveBufferSize(1024);
            s.connect(new java.net.InetSocketAddress("127.0.0.1", proxy.adminAddress().getPort()));
            s.getOutputStream().write("GET /debug/tap HTTP/1.1\r\nHost: admin\r\n\r\n"
                    .getBytes(StandardCharsets.US_ASCII));
            Eventually.eventually(Duration.ofSeconds(5), () -> assertThat(proxy.context().tap().readers()).isOne());
            // Long paths make long lines: more than the kernel's socket buffers hold between the tap and its reader.
            String filler = "x".repeat(4000);
            for (int i = 0; i < 2500; i++) {
                assertThat(get("/item/" + i + "/" + filler)).isEqualTo(200);
            }
            assertThat(proxy.context().tap().dropped()).isPositive();
            assertThat(Edge.sample(Edge.scrape(proxy), "remora_tap_lines_dropped_total"))
                    .isEqualTo((double) proxy.context().tap().dropped());
        }
    }

    @Test
    void aBadFilterIsA400SayingWhatIsExpected() throws Exception {
        HttpResponse<String> res = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                + proxy.adminAddress().getPort() + "/debug/tap?status=teapot")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(res.statusCode()).isEqualTo(400);
        assertThat(res.body()).contains("1xx to 5xx");
    }
}
