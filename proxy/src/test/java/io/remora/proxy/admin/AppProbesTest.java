package io.remora.proxy.admin;

import io.remora.config.testing.TestMesh;
import io.remora.proxy.ProxyServer;
import io.remora.proxy.testing.HttpTestServer;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The app's probes as the kubelet sees them once the injector moved them to the health port: the sidecar performs
 * each against the real app and answers 200 or 503.
 */
@Timeout(30)
class AppProbesTest {
    @AutoClose
    private final HttpTestServer app = new HttpTestServer("app");
    @AutoClose
    private ProxyServer proxy;

    private final HttpClient http = HttpClient.newHttpClient();

    private static int closedPort() throws Exception {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private HttpResponse<String> probe(String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + proxy.healthAddress().getPort()
                + path)).timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void theSidecarPerformsTheAppsProbesOnItsHealthPort() throws Exception {
        int closed = closedPort();
        String json = """
                {"/app-health/app/readyz": {"httpGet": {"path": "/ready", "port": %d,
                     "httpHeaders": [{"name": "x-probe", "value": "ready"}]}, "timeoutSeconds": 2},
                 "/app-health/app/livez": {"tcpSocket": {"port": %d}, "timeoutSeconds": 1},
                 "/app-health/app/startupz": {"grpc": {"port": %d}, "timeoutSeconds": 1},
                 "/app-health/other/readyz": {"httpGet": {"path": "/status/500", "port": %d}}}
                """.formatted(app.port(), app.port(), closed, app.port());
        proxy = ProxyServer.start(TestMesh.sidecar("web", "shop").snapshot(), AppProbes.parse(json));

        assertThat(probe("/app-health/app/readyz").statusCode()).isEqualTo(200);
        assertThat(app.lastRequest().uri()).isEqualTo("/ready");
        assertThat(app.lastRequest().headers().get("x-probe")).isEqualTo("ready");
        assertThat(probe("/app-health/app/livez").statusCode()).isEqualTo(200);
        HttpResponse<String> startup = probe("/app-health/app/startupz");
        assertThat(startup.statusCode()).isEqualTo(503);
        assertThat(startup.body()).contains("port " + closed + " does not accept connections");
        assertThat(probe("/app-health/other/readyz").statusCode()).as("the app answered 500").isEqualTo(503);
        assertThat(probe("/app-health/nope/readyz").statusCode()).isEqualTo(404);
        assertThat(probe("/healthz/ready").statusCode()).isEqualTo(200);
    }

    @Test
    void aBrokenProbeListIsNamed() {
        assertThatThrownBy(() -> AppProbes.parse("{not json")).hasMessageStartingWith("REMORA_APP_PROBES is not JSON");
        assertThatThrownBy(() -> AppProbes.parse("{\"/healthz\": {\"tcpSocket\": {\"port\": 1}}}"))
                .hasMessage("REMORA_APP_PROBES: /healthz is not under /app-health/");
        assertThatThrownBy(() -> AppProbes.parse("{\"/app-health/a/livez\": {\"exec\": {}}}"))
                .hasMessageContaining("has no httpGet, tcpSocket or grpc action");
    }
}
