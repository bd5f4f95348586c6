package io.remora.launcher.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.remora.config.HostPort;
import io.remora.launcher.stat.ControlPlaneStats;
import io.remora.launcher.testing.HeadlessChromium;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;

import static io.remora.config.testing.Eventually.within;
import static io.remora.launcher.e2e.LocalMesh.CALLER_A;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The control plane's dashboard in a real headless Chromium, over a real mesh ({@link LocalMesh}: the control plane,
 * hello v1 and v2 behind their sidecars, the callers' sidecars) with traffic through caller-a: the page loads, shows
 * both versions with the route's 90/10 split and the traffic caller-a sends each, and, without being reloaded, shows
 * the new split and the traffic moving to v2 after the route changes in the directory. {@code remora stat
 * --control-plane}'s table is read from the same data.
 */
@Timeout(120)
class DashboardEndToEndTest {
    private static final Duration SOON = Duration.ofSeconds(30);
    private static final ObjectMapper JSON = new ObjectMapper();
    /** What the page shows, read from its DOM as one JSON object. */
    private static final String PAGE = """
            JSON.stringify({
              status: document.getElementById("status").textContent,
              split: (document.querySelector('#services tr[data-service="hello.demo"] .split') || {}).textContent,
              edges: Object.fromEntries([...document.querySelectorAll("#edges tbody tr")]
                .map(r => [r.dataset.edge, r.querySelector(".share").textContent])),
              sidecars: Object.fromEntries([...document.querySelectorAll("#sidecars tbody tr")]
                .map(r => [r.dataset.workload, r.children[1].textContent + " " + r.children[3].textContent
                  + " " + r.children[4].textContent])),
              graph: document.getElementById("graph").textContent
            })""";

    @TempDir
    Path dir;
    private LocalMesh mesh;
    private final AtomicBoolean sending = new AtomicBoolean(true);
    private Thread traffic;

    @AfterEach
    void close() throws InterruptedException {
        sending.set(false);
        if (traffic != null) {
            traffic.join(10_000);
        }
        if (mesh != null) {
            mesh.close();
        }
    }

    /** Requests through caller-a, one after another, until the test ends. */
    private void sendTraffic() {
        traffic = new Thread(() -> {
            while (sending.get()) {
                try {
                    mesh.call(CALLER_A);
                } catch (IOException e) {
                    // counted by the sidecars' metrics as whatever it was; the page shows it
                } catch (InterruptedException e) {
                    return;
                }
            }
        }, "dashboard-traffic");
        traffic.setDaemon(true);
        traffic.start();
    }

    private static double percent(String shown) {
        return shown == null || shown.equals("-") ? -1 : Double.parseDouble(shown.replace("%", ""));
    }

    @Test
    void thePageShowsBothVersionsTheirSplitAndTrafficAndUpdatesAfterARouteChange() throws Exception {
        mesh = LocalMesh.start(dir, 90, 10);
        sendTraffic();
        String url = "http://127.0.0.1:" + mesh.controlPlane().adminPort() + "/dashboard";
        try (HeadlessChromium browser = HeadlessChromium.open(url)) {
            within(SOON).every(Duration.ofMillis(250)).untilPasses(() -> {
                JsonNode page = JSON.readTree(browser.evaluate(PAGE));
                assertThat(page.get("status").asText()).as("status").isEqualTo("live");
                assertThat(page.get("split").asText()).as("configured split").isEqualTo("canary: v1 90% \u00b7 v2 10%");
                JsonNode edges = page.get("edges");
                double v1 = percent(edges.path(CALLER_A + "|hello.demo|v1").asText(null));
                double v2 = percent(edges.path(CALLER_A + "|hello.demo|v2").asText(null));
                assertThat(v1).as("caller-a's share to v1, in %s", edges).isGreaterThan(50);
                assertThat(v2).as("caller-a's share to v2, in %s", edges).isGreaterThan(0).isLessThan(50);
                JsonNode sidecars = page.get("sidecars");
                assertThat(sidecars.path(LocalMesh.HELLO_V1).asText()).as("hello-v1 in %s", sidecars)
                        .startsWith("v1 yes ACK");
                assertThat(sidecars.path(LocalMesh.HELLO_V2).asText()).as("hello-v2 in %s", sidecars)
                        .startsWith("v2 yes ACK");
                assertThat(sidecars.path(CALLER_A).asText()).startsWith("latest yes ACK");
                assertThat(page.get("graph").asText()).contains(CALLER_A).contains("hello.demo v1")
                        .contains("hello.demo v2");
            });

            // remora stat --control-plane reads the same data: a row per version, v1 with the larger share.
            String table = ControlPlaneStats.table(new ControlPlaneStats(new HostPort("127.0.0.1",
                    mesh.controlPlane().adminPort())).fetch());
            assertThat(table.lines().findFirst()).hasValueSatisfying(h -> assertThat(h).startsWith("SOURCE")
                    .contains("SERVICE").contains("VERSION").contains("SHARE").contains("P99 ms"));
            assertThat(table).containsPattern("demo/caller-a +hello\\.demo +v1 ")
                    .containsPattern("demo/caller-a +hello\\.demo +v2 ");

            mesh.writeRoute(0, 100);
            within(SOON).every(Duration.ofMillis(250)).untilPasses(() -> {
                JsonNode page = JSON.readTree(browser.evaluate(PAGE));
                assertThat(page.get("split").asText()).as("configured split").isEqualTo("canary: v1 0% \u00b7 v2 100%");
                JsonNode edges = page.get("edges");
                assertThat(edges.path(CALLER_A + "|hello.demo|v2").asText()).as("edges %s", edges).isEqualTo("100%");
                assertThat(edges.has(CALLER_A + "|hello.demo|v1")).as("v1 left the graph: %s", edges).isFalse();
                assertThat(page.get("status").asText()).isEqualTo("live");
            });
        }
    }
}
