package io.remora.proxy.it.edge;

import com.fasterxml.jackson.databind.JsonNode;
import io.remora.config.testing.Eventually;
import io.remora.config.testing.TestMesh;
import io.remora.proxy.ProxyServer;
import io.remora.proxy.it.edge.Edge.LineSink;
import io.remora.proxy.it.edge.Edge.RawResult;
import io.remora.proxy.testing.HttpTestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static io.remora.config.testing.TestMesh.loopback;
import static io.remora.config.testing.TestMesh.route;
import static io.remora.config.testing.TestMesh.service;
import static io.remora.config.testing.TestMesh.sidecar;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A sidecar whose {@code accessLogFields} chooses its lines' fields: an HTTP request (the JDK's client) and a TCP
 * connection each get one line with exactly those fields, in that order, under their JSON names, {@code type} first.
 */
@Timeout(60)
class AccessLogFieldsTest {
    private static final Duration SOON = Duration.ofSeconds(5);

    private static HttpTestServer app;
    private static LineSink accessLog;
    private static ProxyServer proxy;

    @BeforeAll
    static void start() throws Exception {
        app = new HttpTestServer("app");
        accessLog = new LineSink();
        proxy = Edge.start(TestMesh.of(
                sidecar("edge", "test").accessLogFields("method", "%REQ(:PATH)%", "status", "route",
                                "%UPSTREAM_HOST%", "protocol", "flags")
                        .upstream("web.test").upstream("db.test"),
                service("web", "test").protocol("http").endpoint(app.address()),
                route("web", "test").services("web.test")
                        .rule(r -> r.name("api").match("{path: {prefix: /api}}").backend("web.test")),
                service("db", "test").protocol("tcp").endpoint(loopback(Edge.closedPort()))), accessLog);
    }

    @AfterAll
    static void stop() {
        if (proxy != null) {
            proxy.close();
        }
        if (accessLog != null) {
            accessLog.close();
        }
        if (app != null) {
            app.close();
        }
    }

    private static List<String> names(JsonNode line) {
        List<String> names = new ArrayList<>();
        line.fieldNames().forEachRemaining(names::add);
        return names;
    }

    @Test
    void anHttpRequestsLineHasTheChosenFieldsInOrder() throws Exception {
        InetSocketAddress listener = proxy.upstreamAddress("web.test");
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        HttpResponse<String> response = client.send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + listener.getPort() + "/api/orders?id=7")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).isEqualTo(200);

        Eventually.eventually(SOON, () -> assertThat(accessLog.lines()).anySatisfy(l -> {
            assertThat(l.path("path").asText()).isEqualTo("/api/orders?id=7");
            assertThat(names(l)).containsExactly("type", "method", "path", "status", "route", "upstream_host",
                    "protocol", "flags");
            assertThat(l.path("type").asText()).isEqualTo("access");
            assertThat(l.path("method").asText()).isEqualTo("GET");
            assertThat(l.path("status").asInt()).isEqualTo(200);
            assertThat(l.path("route").asText()).isEqualTo("web/api");
            assertThat(l.path("upstream_host").asText()).isEqualTo("127.0.0.1:" + app.port());
            assertThat(l.path("protocol").asText()).isEqualTo("HTTP/1.1");
            assertThat(l.path("flags").asText()).isEqualTo("-");
        }));
    }

    @Test
    void aTcpConnectionsLineHasTheChosenFieldsItHasValuesFor() throws Exception {
        try (Socket s = new Socket()) {
            s.connect(proxy.upstreamAddress("db.test"), 2000);
            RawResult r = Edge.readUntilEof(s, Duration.ofSeconds(3));
            assertThat(r.closed()).as("closed by the proxy: nobody listens behind it").isTrue();
        }

        Eventually.eventually(SOON, () -> assertThat(accessLog.lines()).anySatisfy(l -> {
            assertThat(l.path("protocol").asText()).isEqualTo("TCP");
            assertThat(names(l)).as("no method, path or route for a TCP connection")
                    .containsExactly("type", "status", "upstream_host", "protocol", "flags");
            assertThat(l.path("flags").asText()).isEqualTo("UF");
        }));
    }
}
