package io.remora.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import io.remora.config.testing.Eventually;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's main command, in process on free ports: the control plane issues every sidecar's certificate and
 * config; traffic flows through the caller's sidecar and the service sidecars over mTLS, split by weight; editing the
 * weights in the control plane's directory shifts it; /quitquitquit ends it.
 */
@Timeout(90)
class DemoCommandTest {
    @TempDir
    Path dir;

    private final HttpClient http = HttpClient.newHttpClient();

    /** A loopback port outside the ephemeral range, never handed out twice (io.remora.launcher.testing.FreePorts). */
    static int freePort() throws IOException {
        return io.remora.launcher.testing.FreePorts.next();
    }

    private HttpResponse<String> get(int port, String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void theDemoMeshServesOverMtlsAndAWeightEditShiftsTraffic() throws Exception {
        int out = freePort();
        int admin = freePort();
        int metrics = freePort();
        int health = freePort();
        int cpAdmin = freePort();
        int v1Metrics = freePort();
        String[] args = {"demo", "--dir", dir.toString(), "--outbound-port", String.valueOf(out),
            "--v1-metrics-port", String.valueOf(v1Metrics), "--v2-metrics-port", String.valueOf(freePort()),
            "--v1-port", String.valueOf(freePort()), "--v2-port", String.valueOf(freePort()),
            "--v1-sidecar-port", String.valueOf(freePort()), "--v2-sidecar-port", String.valueOf(freePort()),
            "--admin-port", String.valueOf(admin), "--metrics-port", String.valueOf(metrics),
            "--health-port", String.valueOf(health), "--inbound-port", String.valueOf(freePort()),
            "--control-plane-port", String.valueOf(freePort()), "--control-plane-admin-port", String.valueOf(cpAdmin)};
        java.io.StringWriter banner = new java.io.StringWriter();
        CommandLine cli = Remora.commandLine(args);
        cli.setErr(new java.io.PrintWriter(banner, true));
        CompletableFuture<Integer> demo = CompletableFuture.supplyAsync(() -> cli.execute(args));
        Eventually.within(Duration.ofSeconds(30)).every(Duration.ofMillis(50))
                .until("demo ready in time", () -> get(health, "/healthz/ready").statusCode() == 200);
        int v1 = 0;
        int v2 = 0;
        for (int i = 0; i < 100; i++) {
            HttpResponse<String> r = get(out, "/");
            assertThat(r.statusCode()).isEqualTo(200);
            if (r.body().contains("\"version\":\"v2\"")) {
                v2++;
            } else {
                v1++;
            }
        }
        assertThat(v1).isGreaterThan(v2).isGreaterThan(0);
        assertThat(v2).isGreaterThan(0);
        assertThat(get(metrics, "/stats/prometheus").body())
                .contains("destination_principal=\"spiffe://cluster.local/ns/demo/sa/hello\"");
        // The server side's view, on its fixed metrics port: mutual TLS, the called service and the caller.
        assertThat(get(v1Metrics, "/stats/prometheus").body()).containsPattern("istio_requests_total\\{[^}]*"
                + "connection_security_policy=\"mutual_tls\"[^}]*destination_service=\"hello.demo.svc.cluster.local\""
                + "[^}]*destination_version=\"v1\"[^}]*source_workload=\"caller\"");

        assertThat(get(cpAdmin, "/debug/proxies").body()).contains("spiffe://cluster.local/ns/demo/sa/caller")
                .contains("spiffe://cluster.local/ns/demo/sa/hello");
        // The banner names the dashboard, which the control plane's admin port serves with the demo's mesh in it.
        Eventually.within(Duration.ofSeconds(10)).until("the banner is printed",
                () -> banner.toString().contains("Remora demo is running"));
        assertThat(banner.toString()).contains("dashboard:       http://127.0.0.1:" + cpAdmin + "/dashboard")
                .contains("remora stat --control-plane 127.0.0.1:" + cpAdmin);
        assertThat(get(cpAdmin, "/dashboard").body()).contains("<title>Remora mesh</title>");
        // The data is rendered once per scrape round (2 s): the sidecars are in it from the round after they came.
        Eventually.within(Duration.ofSeconds(10)).every(Duration.ofMillis(200)).untilPasses(() ->
                assertThat(get(cpAdmin, "/dashboard/data").body()).contains("\"service\":\"hello.demo\"")
                        .contains("\"workload\":\"hello-v2\",\"version\":\"v2\""));
        Path file = dir.resolve("mesh").resolve("hello-route.yaml");
        Files.writeString(file, Files.readString(file).replace("subset: v1, weight: 90", "subset: v1, weight: 0")
                .replace("subset: v2, weight: 10", "subset: v2, weight: 100"));
        Eventually.within(Duration.ofSeconds(10)).every(Duration.ofMillis(100)).until("weights applied in time",
                () -> get(out, "/").body().contains("\"version\":\"v2\"") && allV2(out));

        http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + admin + "/quitquitquit"))
                .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(demo.get(30, TimeUnit.SECONDS)).isZero();
    }

    private boolean allV2(int out) throws Exception {
        for (int i = 0; i < 10; i++) {
            if (!get(out, "/").body().contains("\"version\":\"v2\"")) {
                return false;
            }
        }
        return true;
    }
}
