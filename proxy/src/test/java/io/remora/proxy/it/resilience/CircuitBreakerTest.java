package io.remora.proxy.it.resilience;

import io.remora.proxy.testing.ScriptedUpstream;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import static io.remora.config.testing.Eventually.eventually;
import static io.remora.proxy.testing.ScriptedUpstream.hang;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Concurrency limits: a request over a service's limit is answered 503 {@code UO} at once, without queuing, while
 * the requests within the limit carry on; the overflow is counted by limit.
 */
@Timeout(60)
class CircuitBreakerTest {
    @AutoClose
    private final ScriptedUpstream a = new ScriptedUpstream("a");
    @AutoClose
    private Mesh mesh;

    @Test
    void requestsOverMaxRequestsAreAnswered503UOAtOnce() throws Exception {
        a.then(hang(), 2);
        mesh = new Mesh("http", "{circuitBreaker: {maxRequests: 2}}", r -> r.set("timeout", "30s"), a.address());
        List<CompletableFuture<HttpResponse<String>>> held = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            held.add(mesh.client.sendAsync(mesh.request("/held").build(), HttpResponse.BodyHandlers.ofString()));
        }
        eventually(java.time.Duration.ofSeconds(10), () -> assertThat(a.requests()).isEqualTo(2));

        HttpResponse<String> over = mesh.get("/over");
        assertThat(over.statusCode()).isEqualTo(503);
        assertThat(Mesh.flags(over)).isEqualTo("UO");
        assertThat(a.requests()).as("the overflow never reached the upstream").isEqualTo(2);
        assertThat(held).allMatch(f -> !f.isDone());
        assertThat(mesh.metric("remora_overflow_total", "limit", "requests")).isEqualTo(1);
    }

    @Test
    void connectionsOverMaxConnectionsAreRefusedNotQueued() throws Exception {
        a.then(hang(), 1);
        mesh = new Mesh("http", "{circuitBreaker: {maxConnections: 1}}", r -> r.set("timeout", "30s"), a.address());
        CompletableFuture<HttpResponse<String>> held =
                mesh.client.sendAsync(mesh.request("/held").build(), HttpResponse.BodyHandlers.ofString());
        eventually(java.time.Duration.ofSeconds(10), () -> assertThat(a.requests()).isEqualTo(1));

        // The only HTTP/1.1 connection is busy: a second request would need a second connection.
        HttpResponse<String> over = mesh.get("/over");
        assertThat(over.statusCode()).isEqualTo(503);
        assertThat(Mesh.flags(over)).isEqualTo("UO");
        assertThat(held.isDone()).isFalse();
        assertThat(a.connections()).isEqualTo(1);
        assertThat(mesh.metric("remora_overflow_total", "limit", "connections")).isEqualTo(1);
    }

    @Test
    void withinTheLimitsEverythingFlows() throws Exception {
        mesh = new Mesh("http", "{circuitBreaker: {maxRequests: 4, maxConnections: 4}}", null, a.address());
        List<CompletableFuture<HttpResponse<String>>> calls = new ArrayList<>();
        for (int round = 0; round < 10; round++) {
            calls.clear();
            for (int i = 0; i < 4; i++) {
                calls.add(mesh.client.sendAsync(mesh.request("/ok").build(), HttpResponse.BodyHandlers.ofString()));
            }
            for (CompletableFuture<HttpResponse<String>> c : calls) {
                assertThat(c.get().statusCode()).isEqualTo(200);
            }
        }
        assertThat(mesh.metric("remora_overflow_total")).isZero();
    }
}
