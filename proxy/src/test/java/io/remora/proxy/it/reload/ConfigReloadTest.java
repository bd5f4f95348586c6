package io.remora.proxy.it.reload;

import io.remora.config.ConfigLoader;
import io.remora.config.testing.Eventually;
import io.remora.config.testing.TestMesh;
import io.remora.proxy.ConfigFileWatcher;
import io.remora.proxy.ProxyServer;
import io.remora.proxy.it.edge.Edge;
import io.remora.proxy.it.edge.LogCapture;
import io.remora.proxy.testing.HttpTestServer;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Editing the config files of a running sidecar: a weight change shifts traffic within a second; a broken file is
 * refused with its file:line:col and the running config keeps serving; a changed Sidecar resource is kept at its
 * running value with the reason (it needs a restart) while the routes beside it land; a file too large to parse is
 * refused, counted and logged, and reloading goes on.
 */
@Timeout(60)
class ConfigReloadTest {
    @TempDir
    Path dir;

    @AutoClose
    private final HttpTestServer v1 = new HttpTestServer("v1");
    @AutoClose
    private final HttpTestServer v2 = new HttpTestServer("v2");
    @AutoClose
    private ProxyServer proxy;
    @AutoClose
    private ConfigFileWatcher watcher;
    @AutoClose
    private final LogCapture log = new LogCapture();

    private final HttpClient http = HttpClient.newHttpClient();

    private static final String SIDECAR = TestMesh.sidecar("web", "test").upstream("svc.test").yaml();

    private String mesh(int weightV1, int weightV2) {
        return """
                apiVersion: remora.io/v1
                kind: Service
                metadata: {name: svc, namespace: test}
                spec:
                  endpoints:
                    - {address: 127.0.0.1:%d, labels: {version: v1}}
                    - {address: 127.0.0.1:%d, labels: {version: v2}}
                  subsets: [{name: v1, labels: {version: v1}}, {name: v2, labels: {version: v2}}]
                ---
                apiVersion: remora.io/v1
                kind: Route
                metadata: {name: svc, namespace: test}
                spec:
                  services: [svc.test]
                  rules:
                    - backends:
                        - {service: svc.test, subset: v1, weight: %d}
                        - {service: svc.test, subset: v2, weight: %d}
                """.formatted(v1.port(), v2.port(), weightV1, weightV2);
    }

    /**
     * Writes a file whole, as an editor saving or a ConfigMap update does: a check of the watcher between the
     * truncation and the last byte would see an empty or partial file and reject it, one rejection more than a test
     * counts.
     */
    private static Path write(Path file, CharSequence text) throws IOException {
        Path partial = file.resolveSibling(file.getFileName() + ".partial");
        Files.writeString(partial, text);
        return Files.move(partial, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    private String name() throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                + proxy.upstreamAddress("svc.test").getPort() + "/name")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
    }

    private int countV2(int requests) throws Exception {
        int n = 0;
        for (int i = 0; i < requests; i++) {
            if (name().equals("v2")) {
                n++;
            }
        }
        return n;
    }

    @Test
    void aWeightChangeShiftsTrafficABrokenFileIsRefusedAndTheSidecarNeedsARestart() throws Exception {
        Path sidecar = write(dir.resolve("sidecar.yaml"), SIDECAR);
        Path routes = write(dir.resolve("mesh.yaml"), mesh(100, 0));
        List<Path> files = List.of(sidecar, routes);
        watcher = new ConfigFileWatcher(files, Map.of(), 100);
        proxy = ProxyServer.start(ConfigLoader.load(files, Map.of()), watcher);
        assertThat(countV2(20)).isZero();
        String first = proxy.configVersion();

        write(routes, mesh(0, 100));
        Eventually.eventually(Duration.ofSeconds(5), () -> assertThat(name()).isEqualTo("v2"));
        assertThat(countV2(20)).isEqualTo(20);
        assertThat(proxy.configVersion()).isNotEqualTo(first);
        String applied = proxy.configVersion();

        // A typo: refused with file:line:col, traffic keeps flowing on the running config.
        write(routes, mesh(0, 100).replace("weight: 100", "wieght: 100"));
        Eventually.eventually(Duration.ofSeconds(5), () -> assertThat(log.events("config_rejected")).hasSize(1));
        assertThat(log.events("config_rejected").get(0).path("errors").asText())
                .startsWith(routes + ":").contains("unknown field 'wieght'");
        assertThat(countV2(20)).isEqualTo(20);
        assertThat(proxy.configVersion()).isEqualTo(applied);

        // A listener change is not applied live: the reason says to restart, and nothing else changed.
        write(routes, mesh(0, 100));
        write(sidecar, SIDECAR.replace("threads: 1", "threads: 2"));
        Eventually.eventually(Duration.ofSeconds(5), () -> assertThat(log.events("config_rejected")).hasSize(2));
        assertThat(log.events("config_rejected").get(1).path("errors").asText()).contains("restart the proxy");
        assertThat(log.events("config_rejected").get(1).path("kept").asText()).isEqualTo("the running Sidecar"
                + " web.test; the services, routes and policies are unchanged");
        assertThat(Edge.sample(Edge.scrape(proxy), "remora_config_rejected_total")).isEqualTo(2);
        assertThat(Edge.sample(Edge.scrape(proxy), "remora_config_applied_total")).isEqualTo(1);
        assertThat(Edge.scrape(proxy)).contains("remora_config_version_info{version=\"" + applied + "\"} 1")
                .containsOnlyOnce("remora_config_version_info{");
        assertThat(countV2(5)).isEqualTo(5);
    }

    @Test
    void aBrokenFileIsRejectedAloneWhileAValidChangeInAnotherFileLands() throws Exception {
        String mesh = mesh(100, 0);
        int split = mesh.indexOf("---");
        Path sidecar = write(dir.resolve("sidecar.yaml"), SIDECAR);
        Path service = write(dir.resolve("service.yaml"), mesh.substring(0, split));
        Path route = write(dir.resolve("route.yaml"), mesh.substring(split + 4));
        List<Path> files = List.of(sidecar, service, route);
        watcher = new ConfigFileWatcher(files, Map.of(), 100);
        proxy = ProxyServer.start(ConfigLoader.load(files, Map.of()), watcher);
        assertThat(countV2(10)).isZero();

        // One edit breaks the route file; another points subset v1 at the v2 server. The second lands.
        write(route, mesh.substring(split + 4).replace("weight: 100", "wieght: 100"));
        write(service, mesh.substring(0, split).replace("127.0.0.1:" + v1.port() + ", labels",
                "127.0.0.1:" + v2.port() + ", labels"));
        Eventually.eventually(Duration.ofSeconds(5), () -> assertThat(name()).isEqualTo("v2"));
        assertThat(countV2(10)).isEqualTo(10);
        Eventually.eventually(Duration.ofSeconds(5), () -> assertThat(log.events("config_rejected"))
                .anySatisfy(e -> assertThat(e.path("file").asText()).isEqualTo(route.toString())));
    }

    @Test
    void aDirectoryIsWatchedAndAFileAddedThereApplies() throws Exception {
        String mesh = mesh(0, 100);
        int split = mesh.indexOf("---");
        Path config = Files.createDirectories(dir.resolve("mesh"));
        write(config.resolve("sidecar.yaml"), SIDECAR);
        write(config.resolve("service.yaml"), mesh.substring(0, split));
        watcher = new ConfigFileWatcher(List.of(config), Map.of(), 100);
        proxy = ProxyServer.start(ConfigLoader.load(List.of(config), Map.of()), watcher);
        assertThat(countV2(20)).as("no route yet: both endpoints share the traffic").isBetween(1, 19);

        write(config.resolve("route.yaml"), mesh.substring(split + 4));
        Eventually.eventually(Duration.ofSeconds(5), () -> assertThat(countV2(10)).isEqualTo(10));
    }

    @Test
    void aSidecarEditBesideARouteEditKeepsOnlyTheSidecarAndTheRouteLands() throws Exception {
        Path file = write(dir.resolve("sidecar.yaml"), SIDECAR + "---\n" + mesh(100, 0));
        List<Path> files = List.of(file);
        watcher = new ConfigFileWatcher(files, Map.of(), 100);
        proxy = ProxyServer.start(ConfigLoader.load(files, Map.of()), watcher);
        assertThat(countV2(10)).isZero();

        write(file, SIDECAR.replace("threads: 1", "threads: 2") + "---\n" + mesh(0, 100));
        Eventually.eventually(Duration.ofSeconds(5), () -> assertThat(name()).isEqualTo("v2"));
        assertThat(countV2(10)).isEqualTo(10);
        assertThat(proxy.config().sidecar().spec().threads()).isEqualTo(1);
        Eventually.eventually(Duration.ofSeconds(5), () -> assertThat(log.events("config_rejected")).hasSize(1));
        assertThat(log.events("config_rejected").get(0).path("file").asText()).isEqualTo(file.toString());
        assertThat(log.events("config_rejected").get(0).path("errors").asText()).isEqualTo(file + ": the Sidecar"
                + " changed; listeners, mTLS and limits are set at start, so restart the proxy to use it");
        assertThat(log.events("config_rejected").get(0).path("kept").asText()).isEqualTo("the running Sidecar"
                + " web.test; the services, routes and policies of these files are applied");
        assertThat(log.events("config_applied")).hasSize(1);

        // The Sidecar edit stays pending: a further route edit lands without saying it again.
        write(file, SIDECAR.replace("threads: 1", "threads: 2") + "---\n" + mesh(100, 0));
        Eventually.eventually(Duration.ofSeconds(5), () -> assertThat(countV2(10)).isZero());
        assertThat(log.events("config_rejected")).hasSize(1);
    }

    @Test
    void aFileTooLargeToParseIsRefusedCountedAndLoggedAndReloadingGoesOn() throws Exception {
        Path sidecar = write(dir.resolve("sidecar.yaml"), SIDECAR);
        Path routes = write(dir.resolve("mesh.yaml"), mesh(100, 0));
        List<Path> files = List.of(sidecar, routes);
        watcher = new ConfigFileWatcher(files, Map.of(), 100);
        proxy = ProxyServer.start(ConfigLoader.load(files, Map.of()), watcher);
        assertThat(countV2(10)).isZero();

        StringBuilder big = new StringBuilder(mesh(0, 100));
        String filler = "# " + "x".repeat(1021) + "\n";
        while (big.length() < 10 * 1024 * 1024) {
            big.append(filler);
        }
        write(routes, big);
        Eventually.eventually(Duration.ofSeconds(5), () -> assertThat(log.events("config_rejected")).hasSize(1));
        assertThat(log.events("config_rejected").get(0).path("errors").asText()).isEqualTo(routes
                + ": 10.0 MiB is over the 4 MiB limit for a config file, expected a smaller file (or a higher"
                + " REMORA_CONFIG_MAX_FILE_SIZE)");
        assertThat(Edge.sample(Edge.scrape(proxy), "remora_config_rejected_total")).isEqualTo(1);
        assertThat(countV2(10)).isZero();

        write(routes, mesh(0, 100));
        Eventually.eventually(Duration.ofSeconds(5), () -> assertThat(name()).isEqualTo("v2"));
        assertThat(countV2(10)).isEqualTo(10);
    }
}
