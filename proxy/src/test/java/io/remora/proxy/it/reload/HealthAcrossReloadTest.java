package io.remora.proxy.it.reload;

import io.remora.config.ConfigLoader;
import io.remora.config.testing.Eventually;
import io.remora.config.testing.TestMesh;
import io.remora.config.testing.TestMesh.ServiceDoc;
import io.remora.proxy.ConfigFileWatcher;
import io.remora.proxy.ProxyServer;
import io.remora.proxy.it.edge.Edge;
import io.remora.proxy.it.http.Proxies;
import io.remora.proxy.testing.ScriptedUpstream;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import static io.remora.proxy.testing.ScriptedUpstream.late;
import static io.remora.proxy.testing.ScriptedUpstream.ok;
import static io.remora.proxy.testing.ScriptedUpstream.status;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A service's health outlives the snapshots: adding an unrelated Service file to a running sidecar neither returns
 * an ejected endpoint to traffic nor lets the circuit breaker admit more than its limit while old requests are in
 * flight.
 */
@Timeout(60)
class HealthAcrossReloadTest {
    @TempDir
    Path dir;

    @AutoClose
    private final ScriptedUpstream a = new ScriptedUpstream("a");
    @AutoClose
    private final ScriptedUpstream b = new ScriptedUpstream("b");
    @AutoClose
    private final ScriptedUpstream c = new ScriptedUpstream("c");
    @AutoClose
    private ProxyServer proxy;
    @AutoClose
    private ConfigFileWatcher watcher;

    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    private static final String UNRELATED = TestMesh.service("other", "test").endpoint("127.0.0.1:9").yaml();

    private String service(String trafficPolicy, ScriptedUpstream... endpoints) {
        ServiceDoc svc = TestMesh.service("svc", "test").trafficPolicy(trafficPolicy);
        for (ScriptedUpstream e : endpoints) {
            svc.endpoint(e.address());
        }
        return svc.yaml();
    }

    private void start(String serviceYaml) throws Exception {
        Files.writeString(dir.resolve("sidecar.yaml"), Proxies.sidecar("svc").yaml());
        Files.writeString(dir.resolve("svc.yaml"), serviceYaml);
        watcher = new ConfigFileWatcher(List.of(dir), Map.of(), 100);
        proxy = ProxyServer.start(ConfigLoader.load(List.of(dir), Map.of()), watcher);
    }

    private HttpRequest get() {
        return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + proxy.upstreamAddress("svc.test").getPort()
                + "/x")).timeout(Duration.ofSeconds(20)).build();
    }

    private int send() throws Exception {
        return http.send(get(), HttpResponse.BodyHandlers.ofString()).statusCode();
    }

    /** Adds an unrelated Service file and waits until the sidecar runs the snapshot with it. */
    private void addUnrelatedService() throws Exception {
        String before = proxy.configVersion();
        Files.writeString(dir.resolve("other.yaml"), UNRELATED);
        Eventually.eventually(Duration.ofSeconds(5), () -> assertThat(proxy.configVersion()).isNotEqualTo(before));
    }

    private double metric(String name) throws Exception {
        return Edge.sample(Edge.scrape(proxy), name);
    }

    @Test
    void anEjectedEndpointStaysEjectedWhenAnUnrelatedServiceIsAdded() throws Exception {
        c.otherwise(status(503));
        start(service("{loadBalancer: round-robin, outlierDetection: {consecutiveGatewayErrors: 2,"
                + " interval: 100ms, baseEjectionTime: 6s, maxEjectionPercent: 34}}", a, b, c));
        for (int i = 0; i < 12; i++) {
            send();
        }
        assertThat(c.requests()).isEqualTo(2);
        assertThat(metric("remora_outlier_ejected_endpoints")).isEqualTo(1);
        c.otherwise(ok("c"));

        addUnrelatedService();
        for (int i = 0; i < 20; i++) {
            assertThat(send()).isEqualTo(200);
        }
        assertThat(c.requests()).as("still ejected after the reload").isEqualTo(2);
        assertThat(metric("remora_outlier_ejected_endpoints")).isEqualTo(1);

        // Once its ejection time is over it returns, as it would have without the reload.
        Eventually.eventually(Duration.ofSeconds(15),
                () -> assertThat(metric("remora_outlier_returns_total")).isEqualTo(1));
        for (int i = 0; i < 12; i++) {
            send();
        }
        assertThat(c.requests()).isGreaterThan(2);
    }

    @Test
    void requestsInFlightStillCountAgainstTheCircuitBreakerAfterAReload() throws Exception {
        a.then(late(Duration.ofSeconds(3), "slow"), 1).otherwise(ok("a"));
        start(service("{circuitBreaker: {maxRequests: 1}}", a));
        CompletableFuture<HttpResponse<String>> slow = http.sendAsync(get(), HttpResponse.BodyHandlers.ofString());
        Eventually.eventually(Duration.ofSeconds(5), () -> assertThat(a.requests()).isEqualTo(1));

        addUnrelatedService();
        assertThat(send()).as("the slow request still holds the only slot").isEqualTo(503);
        assertThat(Edge.sample(Edge.scrape(proxy), "remora_overflow_total", "limit", "requests")).isEqualTo(1);
        assertThat(slow.get().statusCode()).isEqualTo(200);
        assertThat(send()).isEqualTo(200);
    }
}
