package io.remora.proxy.it.edge;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.remora.config.testing.TestMesh;
import io.remora.proxy.ProxyServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code GET /debug/explain} on a running sidecar's admin port: for a request it is not sent, which rule matched
 * and why the earlier ones did not, the backend split, the policies and shared state, the endpoints, and inbound
 * whether authorization lets the caller in; a missing or malformed parameter is a 400 saying what is expected.
 */
@Timeout(30)
class ExplainTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpClient http = HttpClient.newHttpClient();
    private ProxyServer proxy;

    @AfterEach
    void stop() {
        if (proxy != null) {
            proxy.close();
        }
    }

    private HttpResponse<String> explain(String query) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + proxy.adminAddress().getPort()
                + "/debug/explain?" + query)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String q(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    private void outbound() throws Exception {
        proxy = Edge.start(TestMesh.of(TestMesh.sidecar("web", "test").upstream("a.test"),
                TestMesh.service("a", "test").endpoints(TestMesh.loopback(Edge.closedPort())),
                TestMesh.service("b", "test").endpoints(TestMesh.loopback(Edge.closedPort())),
                TestMesh.route("a", "test").services("a.test")
                        .rule(r -> r.name("canary").match("{headers: {x-version: {exact: v2}}}").backend("b.test"))
                        .rule(r -> r.name("split").backend("a.test", 90).backend("b.test", 10)
                                .set("retries", "{attempts: 3, perTryTimeout: 1s}"))));
    }

    @Test
    void outboundItSaysWhichRuleMatchedWhyTheOneBeforeDidNotAndWhatPoliciesAndEndpointsApply() throws Exception {
        outbound();
        HttpResponse<String> res = explain("path=/items&header=" + q("x-version: v1"));
        assertThat(res.statusCode()).isEqualTo(200);
        JsonNode n = JSON.readTree(res.body());
        assertThat(n.at("/listener/direction").asText()).isEqualTo("outbound");
        assertThat(n.at("/destination/service").asText()).isEqualTo("a.test");
        assertThat(n.at("/rules/0/rule").asText()).isEqualTo("canary");
        assertThat(n.at("/rules/0/matched").asBoolean()).isFalse();
        assertThat(n.at("/rules/0/why_not/0").asText()).isEqualTo("header x-version \"v1\" is not exact v2");
        assertThat(n.at("/rules/1/matched").asBoolean()).isTrue();
        assertThat(n.at("/rules/1/backends/0/share_percent").asDouble()).isEqualTo(90.0);
        assertThat(n.at("/rules/1/backends/1/share_percent").asDouble()).isEqualTo(10.0);
        assertThat(n.at("/decision/answer").asText()).isEqualTo("upstream");
        assertThat(n.at("/decision/route").asText()).isEqualTo("a/split");
        assertThat(n.at("/policy/retries/attempts").asInt()).isEqualTo(3);
        assertThat(n.at("/policy/retries/per_try_timeout_ms").asLong()).isEqualTo(1000);
        assertThat(n.at("/policy/circuit_breaker/requests").asText()).startsWith("0/");
        assertThat(n.at("/endpoints/0/health").asText()).isEqualTo("healthy");
        assertThat(n.at("/endpoints/0/mtls_identity").asText()).isEqualTo("none (plaintext)");

        JsonNode canary = JSON.readTree(explain("path=/items&header=" + q("x-version: v2")).body());
        assertThat(canary.at("/rules/0/matched").asBoolean()).isTrue();
        assertThat(canary.at("/rules/1/reached").asBoolean()).isFalse();
        assertThat(canary.at("/decision/cluster").asText()).isEqualTo("b.test");
    }

    @Test
    void aRequestWithoutPathOrWithAnUnknownListenerIsA400SayingWhatIsExpected() throws Exception {
        outbound();
        HttpResponse<String> noPath = explain("method=GET");
        assertThat(noPath.statusCode()).isEqualTo(400);
        assertThat(noPath.body()).contains("path is required");
        HttpResponse<String> badListener = explain("path=/x&listener=nope");
        assertThat(badListener.statusCode()).isEqualTo(400);
        assertThat(badListener.body()).contains("no listener \"nope\"").contains("upstream:a.test");
        assertThat(explain("path=/x&method=get").body()).contains("upper-case HTTP method");
        assertThat(explain("path=/x&header=novalue").body()).contains("\"name: value\"");
    }

    @Test
    void inboundItSaysWhetherAuthorizationLetsTheCallerInAndWhy() throws Exception {
        proxy = Edge.start(TestMesh.of(TestMesh.sidecar("server", "test").inbound(TestMesh.loopback(Edge.closedPort())),
                TestMesh.policy("callers", "test").workloads("server")
                        .rule("{from: {namespaces: [good]}}")));
        JsonNode denied = JSON.readTree(explain("listener=inbound&path=/&peer="
                + q("spiffe://cluster.local/ns/evil/sa/x")).body());
        assertThat(denied.at("/listener/direction").asText()).isEqualTo("inbound");
        assertThat(denied.at("/authorization/allowed").asBoolean()).isFalse();
        assertThat(denied.at("/decision/status").asInt()).isEqualTo(403);
        assertThat(denied.at("/decision/flags").asText()).isEqualTo("RBAC");
        JsonNode allowed = JSON.readTree(explain("listener=inbound&path=/&peer="
                + q("spiffe://cluster.local/ns/good/sa/x")).body());
        assertThat(allowed.at("/authorization/allowed").asBoolean()).isTrue();
        assertThat(allowed.at("/decision/answer").asText()).isEqualTo("upstream");
        assertThat(explain("listener=inbound&path=/&peer=notspiffe").statusCode()).isEqualTo(400);
    }
}
