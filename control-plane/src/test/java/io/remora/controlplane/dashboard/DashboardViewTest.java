package io.remora.controlplane.dashboard;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.remora.config.testing.TestMesh;
import io.remora.controlplane.mesh.MeshState;
import io.remora.controlplane.push.PushService;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** The dashboard's JSON as a function of the mesh, the sidecars and their scrapes. */
class DashboardViewTest {
    private static final Instant NOW = Instant.parse("2026-12-03T12:00:00Z");

    private static MeshState mesh(int v1, int v2) {
        return new MeshState("mesh-1", TestMesh.of(TestMesh.service("hello", "demo")
                        .endpoint("127.0.0.1:9101", e -> e.set("labels", "{version: v1}"))
                        .endpoint("127.0.0.1:9102", e -> e.set("labels", "{version: v2}"))
                        .subset("v1", "{version: v1}").subset("v2", "{version: v2}"),
                TestMesh.route("hello", "demo").services("hello.demo")
                        .rule(r -> r.name("pinned").match("{headers: {x-version: {exact: v2}}}")
                                .backend("hello.demo", "v2"))
                        .rule(r -> r.name("canary").backend("hello.demo", "v1", v1).backend("hello.demo", "v2", v2)))
                .snapshot(), new TreeMap<>(), NOW);
    }

    /** A caller's outbound requests to hello.demo as its sidecar reports them, and one uninstrumented caller's. */
    static String metrics(int toV1, int toV2, int failedV2, int fromOutside) {
        String src = "reporter=\"source\",source_workload=\"caller\",source_workload_namespace=\"demo\","
                + "destination_service=\"hello.demo.svc.cluster.local\",destination_principal=\"spiffe://cluster.local/ns/demo/sa/hello\"";
        String v1 = src + ",destination_version=\"v1\"";
        String v2 = src + ",destination_version=\"v2\"";
        // As hello-v1's sidecar reports the same requests (destination side): not counted again.
        String dst = "reporter=\"destination\",source_workload=\"caller\",source_workload_namespace=\"demo\","
                + "destination_service=\"hello.demo.svc.cluster.local\",destination_version=\"v1\","
                + "connection_security_policy=\"mutual_tls\"";
        String outside = "reporter=\"destination\",source_workload=\"unknown\",source_workload_namespace=\"unknown\","
                + "destination_service=\"hello.demo.svc.cluster.local\",destination_version=\"v1\","
                + "connection_security_policy=\"none\"";
        return "istio_requests_total{" + v1 + ",response_code=\"200\"} " + toV1 + "\n"
                + "istio_requests_total{" + v2 + ",response_code=\"200\"} " + (toV2 - failedV2) + "\n"
                + "istio_requests_total{" + v2 + ",response_code=\"503\"} " + failedV2 + "\n"
                + "istio_requests_total{" + dst + ",response_code=\"200\"} " + toV1 + "\n"
                + "istio_requests_total{" + outside + ",response_code=\"200\"} " + fromOutside + "\n"
                + "istio_request_duration_milliseconds_bucket{" + v1 + ",response_code=\"200\",le=\"5.0\"} " + toV1 + "\n"
                + "istio_request_duration_milliseconds_bucket{" + v1 + ",response_code=\"200\",le=\"+Inf\"} " + toV1 + "\n"
                + "istio_other_total{" + v1 + "} 7\n";
    }

    private static PushService.ProxyStatus sidecar(String workload, String version, boolean connected,
                                                   PushService.Reply reply) {
        return new PushService.ProxyStatus("spiffe://cluster.local/ns/demo/sa/" + workload, "demo", workload,
                "abc123", reply != null && !reply.ack() ? reply.version() : null, NOW.minusSeconds(3), version,
                "127.0.0.1:15020", NOW.plus(Duration.ofHours(20)), connected, NOW.minusSeconds(60), reply);
    }

    private static JsonNode render(MeshState mesh, List<PushService.ProxyStatus> sidecars, ScrapeHistory history,
                                   Map<String, String> scrapes) throws Exception {
        return new ObjectMapper().readTree(DashboardView.render(new DashboardView.Inputs(NOW, mesh, sidecars,
                history.edges(), scrapes, 10, 2)));
    }

    @Test
    void servicesShowEachRulesConfiguredSplit() throws Exception {
        JsonNode d = render(mesh(90, 10), List.of(), new ScrapeHistory(Duration.ofSeconds(10)), Map.of());
        assertThat(d.get("mesh_version").asText()).isEqualTo("mesh-1");
        JsonNode hello = d.get("services").get(0);
        assertThat(hello.get("service").asText()).isEqualTo("hello.demo");
        assertThat(hello.get("route").asText()).isEqualTo("hello.demo");
        assertThat(hello.get("subsets").findValuesAsText("name")).containsExactly("v1", "v2");
        JsonNode pinned = hello.get("rules").get(0);
        assertThat(pinned.get("matches").asInt()).isEqualTo(1);
        assertThat(pinned.get("backends").get(0).get("share").asDouble()).isEqualTo(1.0);
        JsonNode canary = hello.get("rules").get(1);
        assertThat(canary.get("name").asText()).isEqualTo("canary");
        assertThat(canary.get("backends").findValuesAsText("subset")).containsExactly("v1", "v2");
        assertThat(canary.get("backends").get(0).get("share").asDouble()).isEqualTo(0.9);
        assertThat(canary.get("backends").get(1).get("share").asDouble()).isCloseTo(0.1, within(1e-9));
        assertThat(d.get("edges")).isEmpty();
    }

    @Test
    void edgesAreTheCallersOwnReportsPlusUninstrumentedCallersWithShareSuccessAndLatency() throws Exception {
        ScrapeHistory history = new ScrapeHistory(Duration.ofSeconds(10));
        history.add("127.0.0.1:15020", 0, metrics(0, 0, 0, 0));
        history.add("127.0.0.1:15020", Duration.ofSeconds(10).toNanos(), metrics(90, 10, 1, 5));
        JsonNode d = render(mesh(90, 10), List.of(), history, Map.of("127.0.0.1:15020", "ok"));
        JsonNode edges = d.get("edges");
        assertThat(edges).hasSize(3);
        JsonNode toV1 = edges.get(0);
        assertThat(toV1.get("source").asText()).isEqualTo("caller");
        assertThat(toV1.get("service").asText()).isEqualTo("hello.demo");
        assertThat(toV1.get("version").asText()).isEqualTo("v1");
        assertThat(toV1.get("requests").asLong()).isEqualTo(90); // the destination's report is not counted again
        assertThat(toV1.get("rps").asDouble()).isEqualTo(9.0);
        assertThat(toV1.get("share").asDouble()).isEqualTo(0.9);
        assertThat(toV1.get("success_rate").asDouble()).isEqualTo(1.0);
        assertThat(toV1.get("mtls").asDouble()).isEqualTo(1.0);
        assertThat(toV1.get("p99_ms").asDouble()).isLessThanOrEqualTo(5.0);
        JsonNode toV2 = edges.get(1);
        assertThat(toV2.get("version").asText()).isEqualTo("v2");
        assertThat(toV2.get("share").asDouble()).isCloseTo(0.1, within(1e-9));
        assertThat(toV2.get("success_rate").asDouble()).isCloseTo(0.9, within(1e-9));
        assertThat(toV2.get("p50_ms").isNull()).as("no buckets, no percentile").isTrue();
        JsonNode outside = edges.get(2);
        assertThat(outside.get("source").asText()).isEqualTo("unknown");
        assertThat(outside.get("share").asDouble()).isEqualTo(1.0);
        assertThat(outside.get("mtls").asDouble()).isEqualTo(0.0);
        assertThat(d.get("scrape").get("scraped").asInt()).isEqualTo(1);
    }

    @Test
    void aScrapeStillInsideTheWindowKeepsTheOldestAndOneSidecarAloneGivesNoRatesYet() {
        ScrapeHistory history = new ScrapeHistory(Duration.ofSeconds(10));
        history.add("a", 0, metrics(0, 0, 0, 0));
        assertThat(history.edges()).isEmpty();
        history.add("a", Duration.ofSeconds(4).toNanos(), metrics(40, 0, 0, 0));
        history.add("a", Duration.ofSeconds(8).toNanos(), metrics(80, 0, 0, 0));
        // Rates over all 8 s: the oldest scrape is kept until a newer one is a window after the second oldest.
        assertThat(history.edges().values().iterator().next().golden().rps()).isEqualTo(10.0);
        history.add("a", Duration.ofSeconds(14).toNanos(), metrics(200, 0, 0, 0));
        assertThat(history.edges().values().iterator().next().golden().rps()).isEqualTo((200 - 40) / 10.0);
        history.retain(java.util.Set.of());
        assertThat(history.edges()).isEmpty();
    }

    @Test
    void sidecarsShowVersionsRepliesWithTheirReasonCertificatesAndScrapes() throws Exception {
        PushService.Reply nack = new PushService.Reply(false, "def456", NOW.minusSeconds(1), "invalid_config",
                "hello-route.yaml:3:5: spec.rules: bad");
        JsonNode d = render(mesh(90, 10), List.of(
                sidecar("hello-v1", "v1", true, new PushService.Reply(true, "abc123", NOW.minusSeconds(2), null, null)),
                sidecar("hello-v2", "v2", true, nack),
                sidecar("caller", "latest", false, null)), new ScrapeHistory(Duration.ofSeconds(10)),
                Map.of("127.0.0.1:15020", "failed: ConnectException"));
        JsonNode v1 = d.get("sidecars").get(0);
        assertThat(v1.get("workload").asText()).isEqualTo("hello-v1");
        assertThat(v1.get("version").asText()).isEqualTo("v1");
        assertThat(v1.get("config_version").asText()).isEqualTo("abc123");
        assertThat(v1.get("connected").asBoolean()).isTrue();
        assertThat(v1.get("last_reply").get("type").asText()).isEqualTo("ACK");
        assertThat(v1.get("certificate_expiry").asText()).isEqualTo("2026-12-04T08:00:00Z");
        assertThat(v1.get("scrape").asText()).isEqualTo("failed: ConnectException");
        JsonNode v2 = d.get("sidecars").get(1);
        assertThat(v2.get("last_reply").get("type").asText()).isEqualTo("NACK");
        assertThat(v2.get("last_reply").get("reason").asText()).isEqualTo("invalid_config");
        assertThat(v2.get("last_reply").get("detail").asText()).contains("hello-route.yaml:3:5");
        JsonNode caller = d.get("sidecars").get(2);
        assertThat(caller.get("connected").asBoolean()).isFalse();
        assertThat(caller.get("last_reply").isNull()).isTrue();
        assertThat(caller.get("scrape").asText()).startsWith("not scraped");
        assertThat(d.get("scrape").get("failed").asInt()).isEqualTo(1);
    }
}
