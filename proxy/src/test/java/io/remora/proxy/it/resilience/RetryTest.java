package io.remora.proxy.it.resilience;

import io.remora.proxy.it.edge.Edge;
import io.remora.proxy.testing.ScriptedUpstream;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.InetSocketAddress;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Map;

import static io.remora.proxy.testing.ScriptedUpstream.closeConnection;
import static io.remora.proxy.testing.ScriptedUpstream.status;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Retries are safe by default: a GET that met a gateway error is tried again on another endpoint; a POST that may
 * have reached the application is not, unless the route opts in; a POST that never reached it (connection refused)
 * is; bodies are replayed byte for byte, and a body too large to keep is sent once.
 */
@Timeout(60)
class RetryTest {
    @AutoClose
    private final ScriptedUpstream a = new ScriptedUpstream("a");
    @AutoClose
    private final ScriptedUpstream b = new ScriptedUpstream("b");
    @AutoClose
    private Mesh mesh;

    @Test
    void aGetThatMetA503IsRetriedOnce() throws Exception {
        a.then(status(503), 1);
        mesh = new Mesh("http", null, null, a.address());
        HttpResponse<String> res = mesh.get("/item");
        assertThat(res.statusCode()).isEqualTo(200);
        assertThat(Mesh.flags(res)).isEmpty();
        assertThat(a.requests("GET")).isEqualTo(2);
        assertThat(mesh.metric("remora_retries_total", "reason", "gateway-error")).isEqualTo(1);
        assertThat(mesh.metric("remora_upstream_attempts_total")).isEqualTo(2);
    }

    @Test
    void attemptsAreCappedAndTheLastAnswerIsForwardedWithURX() throws Exception {
        a.otherwise(status(503));
        mesh = new Mesh("http", null, r -> r.set("retries", "{attempts: 3}"), a.address());
        HttpResponse<String> res = mesh.get("/item");
        assertThat(res.statusCode()).isEqualTo(503);
        assertThat(a.requests("GET")).isEqualTo(3);
        assertThat(mesh.requestsFlagged("URX")).isEqualTo(1);
    }

    @Test
    void aPostThatMetA503IsNotRetriedItMayHaveBeenProcessed() throws Exception {
        a.then(status(503), 1);
        mesh = new Mesh("http", null, null, a.address());
        HttpResponse<String> res = mesh.post("/pay", "{\"amount\": 10}");
        assertThat(res.statusCode()).isEqualTo(503);
        assertThat(Mesh.flags(res)).isEmpty();
        assertThat(a.requests("POST")).isEqualTo(1);
    }

    @Test
    void aPostIsRetriedWhenTheRouteOptsIn() throws Exception {
        a.then(status(503), 1);
        mesh = new Mesh("http", null, r -> r.set("retries", "{nonIdempotent: true}"), a.address());
        HttpResponse<String> res = mesh.post("/pay", "{\"amount\": 10}");
        assertThat(res.statusCode()).isEqualTo(200);
        assertThat(a.requests("POST")).isEqualTo(2);
        assertThat(a.seen()).extracting(ScriptedUpstream.Seen::bodyText)
                .containsExactly("{\"amount\": 10}", "{\"amount\": 10}");
    }

    @Test
    void aPostThatCouldNotConnectIsRetriedOnAnotherEndpointAndProcessedOnce() throws Exception {
        InetSocketAddress refusing = new InetSocketAddress("127.0.0.1", Edge.closedPort());
        mesh = new Mesh("http", "{loadBalancer: round-robin}", null, refusing, a.address());
        for (int i = 0; i < 10; i++) {
            HttpResponse<String> res = mesh.post("/pay", "payment-" + i);
            assertThat(res.statusCode()).as("POST %d", i).isEqualTo(200);
            assertThat(res.body()).isEqualTo("a");
        }
        assertThat(a.requests("POST")).as("every payment processed exactly once").isEqualTo(10);
        assertThat(mesh.metric("remora_retries_total", "reason", "connect-failure")).isGreaterThanOrEqualTo(1);
    }

    @Test
    void aRetryGoesToAnotherEndpoint() throws Exception {
        a.otherwise(status(503));
        b.otherwise(status(503));
        // Outlier detection off: it would eject one of the two and leave nothing else to retry on.
        mesh = new Mesh("http", "{loadBalancer: round-robin, outlierDetection: {consecutiveGatewayErrors: 0}}", null,
                a.address(), b.address());
        for (int i = 0; i < 6; i++) {
            HttpResponse<String> res = mesh.get("/x");
            assertThat(res.statusCode()).isEqualTo(503);
        }
        assertThat(mesh.requestsFlagged("URX")).isEqualTo(6);
        // Each request tried both endpoints once.
        assertThat(a.requests("GET")).isEqualTo(6);
        assertThat(b.requests("GET")).isEqualTo(6);
    }

    @Test
    void anApplicationErrorIsNotRetriedByDefault() throws Exception {
        a.then(status(500), 1);
        mesh = new Mesh("http", null, null, a.address());
        assertThat(mesh.get("/x").statusCode()).isEqualTo(500);
        assertThat(a.requests("GET")).isEqualTo(1);
    }

    @Test
    void listedStatusCodesAreRetriedAndRetryAfterIsHonoured() throws Exception {
        a.then(status(429, Map.of("retry-after", "1")), 1);
        mesh = new Mesh("http", null, r -> r.set("retries", "{statusCodes: [429]}"), a.address());
        long start = System.nanoTime();
        HttpResponse<String> res = mesh.get("/x");
        long millis = (System.nanoTime() - start) / 1_000_000;
        assertThat(res.statusCode()).isEqualTo(200);
        assertThat(a.requests("GET")).isEqualTo(2);
        assertThat(millis).as("waited for Retry-After: 1").isGreaterThanOrEqualTo(1_000);
    }

    @Test
    void aRetryAfterLongerThanTheProxyWouldHoldTheRequestGoesToTheCaller() throws Exception {
        a.then(status(503, Map.of("retry-after", "3600")), 1);
        mesh = new Mesh("http", null, r -> r.set("timeout", "0s"), a.address());
        HttpResponse<String> res = mesh.get("/x");
        assertThat(res.statusCode()).isEqualTo(503);
        assertThat(res.headers().firstValue("retry-after")).hasValue("3600");
        assertThat(a.requests()).isEqualTo(1);
    }

    @Test
    void aGetIsRetriedWhenTheUpstreamClosesBeforeAnsweringAPostIsNot() throws Exception {
        a.then(closeConnection(), 1);
        mesh = new Mesh("http", null, null, a.address());
        assertThat(mesh.get("/x").statusCode()).isEqualTo(200);
        assertThat(a.requests("GET")).isEqualTo(2);

        // Also on a reused connection: its close may be the keep-alive race, or a crash while processing.
        a.then(closeConnection(), 1);
        HttpResponse<String> post = mesh.post("/x", "once");
        assertThat(post.statusCode()).isEqualTo(503);
        assertThat(Mesh.flags(post)).isEqualTo("UC");
        assertThat(a.requests("POST")).isEqualTo(1);
    }

    @Test
    void aBodyUpTo64KiBIsReplayedALargerOneIsSentOnce() throws Exception {
        a.then(status(503), 1);
        mesh = new Mesh("http", null, null, a.address());
        String small = "s".repeat(60 * 1024);
        HttpResponse<String> res = mesh.client.send(mesh.request("/put").PUT(HttpRequest.BodyPublishers.ofString(small))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertThat(res.statusCode()).isEqualTo(200);
        assertThat(a.seen()).extracting(ScriptedUpstream.Seen::bodyText).containsExactly(small, small);

        a.then(status(503), 1);
        String large = "L".repeat(100 * 1024);
        HttpResponse<String> big = mesh.client.send(mesh.request("/put").PUT(HttpRequest.BodyPublishers.ofString(large))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertThat(big.statusCode()).isEqualTo(503);
        assertThat(a.requests("PUT")).isEqualTo(3);
        assertThat(a.seen().get(2).bodyText()).isEqualTo(large);
    }
}
