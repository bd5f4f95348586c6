package io.remora.controlplane.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import io.remora.controlplane.dashboard.MeshScraper;
import io.remora.protocol.DiscoveryRequest;
import io.remora.protocol.Node;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static io.remora.config.testing.Eventually.eventually;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code /dashboard/data} of a real control plane: protocol sidecars over TLS that name their metrics address, one
 * served by a metrics endpoint whose counters grow as a 90/10 caller's would, one that refuses its push, one of the
 * form before the dashboard (no version, no metrics), one whose metrics address does not answer.
 */
class DashboardDataTest {
    private static final Duration SOON = Duration.ofSeconds(10);
    @TempDir
    Path dir;
    private MeshFixture mesh;
    private HttpServer metrics;
    private final List<AutoCloseable> closing = new ArrayList<>();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @AfterEach
    void close() throws Exception {
        for (AutoCloseable c : closing) {
            c.close();
        }
        if (metrics != null) {
            metrics.stop(0);
        }
        if (mesh != null) {
            mesh.close();
        }
    }

    /** A caller's Istio metrics: every scrape, 9 more requests to reviews v1 and 1 more to v2. */
    private int serveMetrics() throws Exception {
        AtomicInteger scrapes = new AtomicInteger();
        metrics = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 4);
        metrics.createContext("/stats/prometheus", ex -> {
            int n = scrapes.incrementAndGet();
            String src = "reporter=\"source\",source_workload=\"web\",source_workload_namespace=\"shop\","
                    + "destination_service=\"reviews.shop.svc.cluster.local\",response_code=\"200\"";
            byte[] body = ("# TYPE istio_requests_total counter\n"
                    + "istio_requests_total{" + src + ",destination_version=\"v1\"} " + 9 * n + "\n"
                    + "istio_requests_total{" + src + ",destination_version=\"v2\"} " + n + "\n")
                    .getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(200, body.length);
            ex.getResponseBody().write(body);
            ex.close();
        });
        metrics.start();
        return metrics.getAddress().getPort();
    }

    private TestSidecar sidecar(Node node, java.util.function.Function<io.remora.protocol.DiscoveryResponse,
            DiscoveryRequest> answer) throws Exception {
        TestSidecar s = new TestSidecar(mesh.server.port(), mesh.bundle, mesh.token("shop", node.workload()), node,
                null, answer);
        closing.add(s);
        return s;
    }

    private JsonNode data() throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                + mesh.server.adminPort() + "/dashboard/data")).timeout(Duration.ofSeconds(5)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(200);
        return new ObjectMapper().readTree(r.body());
    }

    private static JsonNode sidecar(JsonNode data, String workload, boolean connected) {
        for (JsonNode s : data.get("sidecars")) {
            if (s.get("workload").asText().equals(workload) && s.get("connected").asBoolean() == connected) {
                return s;
            }
        }
        return null;
    }

    private static JsonNode edge(JsonNode data, String version) {
        for (JsonNode e : data.get("edges")) {
            if (e.get("source").asText().equals("web") && e.get("version").asText().equals(version)) {
                return e;
            }
        }
        return null;
    }

    private static int closedPort() throws Exception {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    @Test
    void theDataShowsServicesSidecarsAndTheRequestGraphFromTheSidecarsMetrics() throws Exception {
        mesh = new MeshFixture(dir, true, Duration.ofMillis(20), Duration.ofMillis(200), null,
                new MeshScraper.Settings(Duration.ofMillis(100), Duration.ofSeconds(1), 16, Duration.ofSeconds(1), 2));
        int port = serveMetrics();
        sidecar(new Node("shop", "web", List.of("reviews.shop"), "v7", "127.0.0.1:" + port), TestSidecar::ack);
        TestSidecar ratings = sidecar(new Node("shop", "ratings", List.of("reviews.shop"), "v1", null),
                r -> DiscoveryRequest.nack("", r.nonce(), DiscoveryRequest.Reason.INVALID_CONFIG,
                        "20-routes.yaml:7:9: spec.rules[0].backends: bad"));
        sidecar(new Node("shop", "old", List.of()), TestSidecar::ack);
        sidecar(new Node("shop", "silent", List.of(), "v1", "0.0.0.0:" + closedPort()), TestSidecar::ack);

        eventually(SOON, "web's edges to reviews v1 and v2 with their shares", () -> {
            JsonNode d = data();
            JsonNode v1 = edge(d, "v1");
            JsonNode v2 = edge(d, "v2");
            return v1 != null && v2 != null && Math.abs(v1.get("share").asDouble() - 0.9) < 1e-9
                    && Math.abs(v2.get("share").asDouble() - 0.1) < 1e-9 && v1.get("rps").asDouble() > 0;
        });
        eventually(SOON, "every sidecar's reply and scrape is shown", () -> {
            JsonNode d = data();
            JsonNode silent = sidecar(d, "silent", true);
            JsonNode r = sidecar(d, "ratings", true);
            return silent != null && silent.get("scrape").asText().startsWith("failed")
                    && r != null && !r.get("last_reply").isNull();
        });
        JsonNode d = data();
        JsonNode reviews = d.get("services").get(1); // sorted by key: ratings.shop, reviews.shop
        assertThat(reviews.get("service").asText()).isEqualTo("reviews.shop");
        assertThat(reviews.get("rules").get(0).get("backends").get(0).get("share").asDouble()).isEqualTo(0.9);

        JsonNode web = sidecar(d, "web", true);
        assertThat(web.get("version").asText()).isEqualTo("v7");
        assertThat(web.get("metrics").asText()).isEqualTo("127.0.0.1:" + port);
        assertThat(web.get("scrape").asText()).isEqualTo("ok");
        assertThat(web.get("last_reply").get("type").asText()).isEqualTo("ACK");
        assertThat(web.get("config_version").asText()).isEqualTo(web.get("last_reply").get("version").asText());
        assertThat(Instant.parse(web.get("certificate_expiry").asText()))
                .isBetween(Instant.now().plus(Duration.ofMinutes(50)), Instant.now().plus(Duration.ofMinutes(61)));

        JsonNode nacking = sidecar(d, "ratings", true);
        assertThat(nacking.get("last_reply").get("type").asText()).isEqualTo("NACK");
        assertThat(nacking.get("last_reply").get("reason").asText()).isEqualTo("invalid_config");
        assertThat(nacking.get("last_reply").get("detail").asText()).contains("20-routes.yaml:7:9");
        assertThat(nacking.get("scrape").asText()).startsWith("not scraped");

        JsonNode old = sidecar(d, "old", true);
        assertThat(old.get("version").isNull()).isTrue();
        assertThat(old.get("metrics").isNull()).isTrue();
        assertThat(old.get("last_reply").get("type").asText()).isEqualTo("ACK");

        assertThat(mesh.scrape()).containsPattern("remora_cp_scrapes_total\\{result=\"ok\"} [1-9]")
                .containsPattern("remora_cp_scrapes_total\\{result=\"failed\"} [1-9]");

        // A sidecar that goes is shown disconnected for a while, not dropped at once.
        ratings.close();
        eventually(SOON, "ratings shown disconnected", () -> sidecar(data(), "ratings", false) != null
                && sidecar(data(), "ratings", true) == null);
    }
}
