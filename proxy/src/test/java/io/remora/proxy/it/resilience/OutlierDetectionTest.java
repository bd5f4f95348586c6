package io.remora.proxy.it.resilience;

import com.fasterxml.jackson.databind.JsonNode;
import io.remora.proxy.it.edge.LogCapture;
import io.remora.proxy.testing.ScriptedUpstream;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;

import static io.remora.config.testing.Eventually.eventually;
import static io.remora.proxy.testing.ScriptedUpstream.ok;
import static io.remora.proxy.testing.ScriptedUpstream.status;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Passive health checking with real endpoints: one that keeps failing among three is ejected and gets no traffic
 * (callers see only successes, thanks to a retry on another endpoint); once its ejection time is up it returns
 * and takes traffic again. However many fail, no more than the maximum share is ejected.
 */
@Timeout(60)
class OutlierDetectionTest {
    @AutoClose
    private final ScriptedUpstream a = new ScriptedUpstream("a");
    @AutoClose
    private final ScriptedUpstream b = new ScriptedUpstream("b");
    @AutoClose
    private final ScriptedUpstream c = new ScriptedUpstream("c");
    @AutoClose
    private Mesh mesh;

    @AutoClose
    private final LogCapture log = new LogCapture();

    private List<JsonNode> events(String event) {
        return log.events(event);
    }

    @Test
    void aFailingEndpointIsEjectedThenReturnsWhenItsTimeIsUp() throws Exception {
        c.otherwise(status(503));
        mesh = new Mesh("http", "{loadBalancer: round-robin, outlierDetection: {consecutiveGatewayErrors: 3,"
                + " interval: 100ms, baseEjectionTime: 1s, maxEjectionPercent: 34}}", null,
                a.address(), b.address(), c.address());
        for (int i = 0; i < 30; i++) {
            HttpResponse<String> res = mesh.get("/x");
            assertThat(res.statusCode()).as("request %d", i).isEqualTo(200);
        }
        assertThat(c.requests()).as("c stops getting traffic after 3 failures").isEqualTo(3);
        assertThat(mesh.metric("remora_outlier_ejections_total", "reason", "consecutive-gateway-errors"))
                .isEqualTo(1);
        assertThat(mesh.metric("remora_outlier_ejected_endpoints")).isEqualTo(1);
        String endpoint = "127.0.0.1:" + c.address().getPort();
        eventually(Duration.ofSeconds(5), () -> assertThat(events("outlier_ejected")).hasSize(1));
        JsonNode ejected = events("outlier_ejected").get(0);
        assertThat(ejected.path("service").asText()).isEqualTo("svc.test");
        assertThat(ejected.path("endpoint").asText()).isEqualTo(endpoint);
        assertThat(ejected.path("reason").asText()).isEqualTo("consecutive-gateway-errors");
        assertThat(ejected.path("ejection_ms").asLong()).isEqualTo(1_000);

        c.otherwise(ok("c"));
        eventually(Duration.ofSeconds(10), () -> assertThat(mesh.metric("remora_outlier_returns_total")).isEqualTo(1));
        assertThat(mesh.metric("remora_outlier_ejected_endpoints")).isZero();
        eventually(Duration.ofSeconds(5), () -> assertThat(events("outlier_returned")).hasSize(1));
        assertThat(events("outlier_returned").get(0).path("endpoint").asText()).isEqualTo(endpoint);
        for (int i = 0; i < 30; i++) {
            mesh.get("/x");
        }
        assertThat(c.requests()).as("c is back in rotation").isGreaterThanOrEqualTo(3 + 10);
    }

    @Test
    void neverEjectsMoreThanTheMaximumShareHoweverManyFail() throws Exception {
        a.otherwise(status(503));
        b.otherwise(status(503));
        c.otherwise(status(503));
        mesh = new Mesh("http", "{outlierDetection: {consecutiveGatewayErrors: 1, maxEjectionPercent: 34}}",
                r -> r.set("retries", "{attempts: 1}"), a.address(), b.address(), c.address());
        for (int i = 0; i < 60; i++) {
            assertThat(mesh.get("/x").statusCode()).isEqualTo(503);
        }
        assertThat(mesh.metric("remora_outlier_ejected_endpoints")).isEqualTo(1);
        assertThat(mesh.metric("remora_outlier_ejections_total")).isEqualTo(1);
        assertThat(a.requests() + b.requests() + c.requests()).isEqualTo(60);
        assertThat(Math.min(a.requests(), Math.min(b.requests(), c.requests())))
                .as("the ejected endpoint got only the request that ejected it").isLessThanOrEqualTo(1);
    }

    @Test
    void belowTheMinimumHealthyShareTrafficGoesToEveryEndpointPanicMode() throws Exception {
        a.otherwise(status(503));
        mesh = new Mesh("http", "{loadBalancer: round-robin, outlierDetection: {consecutiveGatewayErrors: 1,"
                + " maxEjectionPercent: 50, minHealthPercent: 75}}",
                r -> r.set("retries", "{attempts: 1}"), a.address(), b.address());
        for (int i = 0; i < 20; i++) {
            mesh.get("/x");
        }
        assertThat(mesh.metric("remora_outlier_ejected_endpoints")).isEqualTo(1);
        assertThat(mesh.admin("/clusters"))
                .contains("svc.test::127.0.0.1:" + a.address().getPort() + "::health_flags::/failed_outlier_check")
                .contains("svc.test::127.0.0.1:" + b.address().getPort() + "::health_flags::healthy");
        // One of two healthy is below 75 %: the ejected endpoint still gets its share.
        assertThat(a.requests()).isGreaterThanOrEqualTo(9);
        assertThat(b.requests()).isGreaterThanOrEqualTo(9);
    }
}
