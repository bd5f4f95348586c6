package io.remora.controlplane;

import io.remora.controlplane.dashboard.ClientGate;
import io.remora.controlplane.mesh.MeshState;
import io.remora.controlplane.push.PushService;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/** The dashboard's routes on the admin port: the page, its data, wrong paths and methods, and the client bound. */
class AdminServerDashboardTest {
    private final ControlPlaneMetrics metrics = new ControlPlaneMetrics();
    private final PushService push = new PushService(MeshState.empty(Clock.systemUTC().instant()), metrics,
            Clock.systemUTC());
    private final ClientGate gate = new ClientGate(1, metrics);
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private AdminServer admin;

    @BeforeEach
    void start() {
        admin = new AdminServer(new InetSocketAddress("127.0.0.1", 0), metrics, push, () -> true,
                () -> "{\"edges\":[]}".getBytes(StandardCharsets.UTF_8), gate);
    }

    @AfterEach
    void stop() {
        admin.close();
        push.close();
    }

    private HttpResponse<String> send(String method, String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + admin.port() + path))
                .method(method, HttpRequest.BodyPublishers.noBody()).timeout(Duration.ofSeconds(5)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void thePageAndItsDataAreServed() throws Exception {
        HttpResponse<String> page = send("GET", "/dashboard");
        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.headers().firstValue("content-type")).hasValue("text/html; charset=utf-8");
        assertThat(page.body()).contains("<title>Remora mesh</title>").contains("fetch(\"/dashboard/data\"");
        HttpResponse<String> data = send("GET", "/dashboard/data");
        assertThat(data.statusCode()).isEqualTo(200);
        assertThat(data.headers().firstValue("content-type")).hasValue("application/json");
        assertThat(data.body()).isEqualTo("{\"edges\":[]}");
        assertThat(metrics.scrape()).contains("remora_cp_dashboard_requests_total{result=\"served\"} 2.0");
    }

    @Test
    void anUnknownPathIs404AndAnotherMethod405() throws Exception {
        assertThat(send("GET", "/dashboard/nope").statusCode()).isEqualTo(404);
        assertThat(send("GET", "/dashboard/nope").body()).contains("/dashboard/data");
        assertThat(send("GET", "/dashboardx").statusCode()).isEqualTo(404);
        assertThat(send("GET", "/nothing-here").statusCode()).isEqualTo(404);
        HttpResponse<String> post = send("POST", "/dashboard/data");
        assertThat(post.statusCode()).isEqualTo(405);
        assertThat(post.headers().firstValue("allow")).hasValue("GET");
    }

    @Test
    void overTheBoundARequestIs503AtOnceAndCountedAndTheOtherRoutesStillAnswer() throws Exception {
        assertThat(gate.enter()).isTrue(); // the one permit, as a slow client would hold it
        HttpResponse<String> refused = send("GET", "/dashboard/data");
        assertThat(refused.statusCode()).isEqualTo(503);
        assertThat(refused.headers().firstValue("retry-after")).hasValue("1");
        assertThat(send("GET", "/healthz/ready").statusCode()).isEqualTo(200);
        assertThat(metrics.scrape()).contains("remora_cp_dashboard_requests_total{result=\"refused\"} 1.0");
        gate.leave();
        assertThat(send("GET", "/dashboard/data").statusCode()).isEqualTo(200);
    }

    @Test
    void manyClientsAtOnceAreEachAnsweredServedOrRefusedAndEveryOneIsCounted() throws Exception {
        int clients = 64;
        java.util.List<java.util.concurrent.CompletableFuture<HttpResponse<String>>> all = new java.util.ArrayList<>();
        for (int i = 0; i < clients; i++) {
            all.add(http.sendAsync(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + admin.port()
                    + (i % 2 == 0 ? "/dashboard/data" : "/dashboard"))).timeout(Duration.ofSeconds(10)).build(),
                    HttpResponse.BodyHandlers.ofString()));
        }
        assertThat(send("GET", "/healthz/live").statusCode()).isEqualTo(200);
        int served = 0;
        int refused = 0;
        for (var f : all) {
            int status = f.get(15, java.util.concurrent.TimeUnit.SECONDS).statusCode();
            assertThat(status).isIn(200, 503);
            if (status == 200) {
                served++;
            } else {
                refused++;
            }
        }
        assertThat(served).isPositive();
        assertThat(metrics.scrape()).contains("remora_cp_dashboard_requests_total{result=\"served\"} " + served + ".0");
        if (refused > 0) {
            assertThat(metrics.scrape())
                    .contains("remora_cp_dashboard_requests_total{result=\"refused\"} " + refused + ".0");
        }
    }
}
