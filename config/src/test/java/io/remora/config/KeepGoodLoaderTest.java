package io.remora.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KeepGoodLoaderTest {
    @TempDir
    Path dir;

    private static String service(String address) {
        return """
                apiVersion: remora.io/v1
                kind: Service
                metadata: {name: payments, namespace: shop}
                spec:
                  endpoints: [{address: %s}]
                """.formatted(address);
    }

    private static String route(int timeoutSeconds) {
        return """
                apiVersion: remora.io/v1
                kind: Route
                metadata: {name: payments, namespace: shop}
                spec:
                  services: [payments.shop]
                  rules: [{backends: [{service: payments.shop}], timeout: %ds}]
                """.formatted(timeoutSeconds);
    }

    @Test
    void aBrokenFileKeepsItsLastGoodContentWhileAValidChangeInAnotherLands() throws Exception {
        Path services = Files.writeString(dir.resolve("services.yaml"), service("10.0.0.1:80"));
        Path routes = Files.writeString(dir.resolve("routes.yaml"), route(5));
        List<Path> files = List.of(services, routes);
        KeepGoodLoader loader = new KeepGoodLoader(files, Map.of());

        Files.writeString(services, service("10.0.0.2:80"));
        Files.writeString(routes, route(9).replace("timeout:", "timout:"));
        KeepGoodLoader.Result result = loader.load(files, Map.of());

        assertThat(result.snapshot().services().get(0).spec().endpoints().get(0).address())
                .hasToString("10.0.0.2:80");
        assertThat(result.snapshot().routes().get(0).spec().rules().get(0).timeout()).hasSeconds(5);
        assertThat(result.rejected()).containsOnlyKeys(routes.toString());
        assertThat(result.rejected().get(routes.toString()).get(0).format())
                .startsWith(routes + ":6:").contains("unknown field 'timout'");

        Files.writeString(routes, route(9));
        KeepGoodLoader.Result fixed = loader.load(files, Map.of());
        assertThat(fixed.rejected()).isEmpty();
        assertThat(fixed.snapshot().routes().get(0).spec().rules().get(0).timeout()).hasSeconds(9);
    }

    @Test
    void aFileThatNeverWasGoodIsLeftOutAndWhatReferencesItToo() throws Exception {
        Path services = Files.writeString(dir.resolve("services.yaml"), service("10.0.0.1:80"));
        KeepGoodLoader loader = new KeepGoodLoader(List.of(services), Map.of());
        Path routes = Files.writeString(dir.resolve("routes.yaml"), route(5).replace("payments.shop}", "payment.shop}"));
        KeepGoodLoader.Result result = loader.load(List.of(services, routes), Map.of());
        assertThat(result.snapshot().routes()).isEmpty();
        assertThat(result.snapshot().services()).hasSize(1);
        assertThat(result.rejected()).containsOnlyKeys(routes.toString());
    }

    @Test
    void nothingValidLeftIsAnError() throws Exception {
        Path services = Files.writeString(dir.resolve("services.yaml"), "kind: [");
        KeepGoodLoader loader = new KeepGoodLoader(List.of(), Map.of());
        assertThatThrownBy(() -> loader.load(List.of(services), Map.of())).isInstanceOf(ConfigException.class);
    }

    @Test
    void aDirectoryStandsForItsYamlFilesAndAFileAddedThereIsPickedUp() throws Exception {
        Path mesh = Files.createDirectories(dir.resolve("mesh"));
        Files.writeString(mesh.resolve("a-services.yaml"), service("10.0.0.1:80"));
        Files.writeString(mesh.resolve("notes.txt"), "not config");
        KeepGoodLoader loader = new KeepGoodLoader(List.of(mesh), Map.of());
        assertThat(loader.load(List.of(mesh), Map.of()).snapshot().routes()).isEmpty();
        Files.writeString(mesh.resolve("b-routes.yml"), route(7));
        KeepGoodLoader.Result result = loader.load(List.of(mesh), Map.of());
        assertThat(result.snapshot().routes()).hasSize(1);
        assertThat(ConfigLoader.load(List.of(mesh), Map.of()).routes().get(0).spec().rules().get(0).timeout())
                .hasSeconds(7);
    }

    private static final String SIDECAR = """
            apiVersion: remora.io/v1
            kind: Sidecar
            metadata: {name: web, namespace: shop}
            spec:
              threads: 1
              outbound: {upstreams: [{listen: 127.0.0.1:9001, service: payments.shop}]}
            ---
            """;

    @Test
    void aRunningSidecarIsKeptWhileTheRouteEditedInTheSameFileLands() throws Exception {
        Path file = Files.writeString(dir.resolve("sidecar.yaml"), SIDECAR + service("10.0.0.1:80") + "---\n"
                + route(5));
        Snapshot running = ConfigLoader.load(List.of(file), Map.of());
        KeepGoodLoader loader = new KeepGoodLoader(List.of(file), Map.of()).keepSidecar(running.sidecar());

        Files.writeString(file, SIDECAR.replace("threads: 1", "threads: 2") + service("10.0.0.1:80") + "---\n"
                + route(9));
        KeepGoodLoader.Result result = loader.load(List.of(file), Map.of());

        assertThat(result.rejected()).isEmpty();
        assertThat(result.snapshot().routes().get(0).spec().rules().get(0).timeout()).hasSeconds(9);
        assertThat(result.snapshot().sidecar()).isEqualTo(running.sidecar());
        assertThat(result.keptSidecar().file()).isEqualTo(file.toString());
        assertThat(result.keptSidecar().wanted().spec().threads()).isEqualTo(2);

        Files.writeString(file, SIDECAR + service("10.0.0.1:80") + "---\n" + route(7));
        assertThat(loader.load(List.of(file), Map.of()).keptSidecar()).isNull();
    }

    @Test
    void aFileEmptiedWhenItWasTheWholeConfigIsRejectedAndItsLastGoodContentKept() throws Exception {
        Path file = Files.writeString(dir.resolve("mesh.yaml"), service("10.0.0.1:80"));
        KeepGoodLoader loader = new KeepGoodLoader(List.of(file), Map.of());

        Files.writeString(file, "# truncated by an editor\n");
        KeepGoodLoader.Result result = loader.load(List.of(file), Map.of());

        assertThat(result.snapshot().services()).hasSize(1);
        assertThat(result.rejected().get(file.toString())).extracting(ConfigError::format).containsExactly(file
                + ": holds no resource (it is empty or only comments), expected at least a Sidecar or a Service,"
                + " Route or AuthorizationPolicy document");
    }
}
