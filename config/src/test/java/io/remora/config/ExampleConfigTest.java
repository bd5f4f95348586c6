package io.remora.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The documented example binds to exactly the expected records, defaults included. */
class ExampleConfigTest {
    static String example() throws IOException {
        try (InputStream in = ExampleConfigTest.class.getResourceAsStream("/example.yaml")) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    @Test
    void sidecarBindsWithDefaultsForWhatIsNotGiven() throws Exception {
        Snapshot snapshot = ConfigLoader.parse("example.yaml", example(), Map.of());

        Sidecar sidecar = snapshot.sidecar();
        assertThat(sidecar.metadata()).isEqualTo(new Metadata("web", "shop", Map.of()));
        Sidecar.Spec spec = sidecar.spec();
        assertThat(spec.workload()).isNull();
        assertThat(spec.threads()).isEqualTo(1);
        assertThat(spec.accessLog()).isTrue();
        assertThat(spec.drainTime()).isEqualTo(Duration.ofSeconds(5));
        assertThat(spec.admin()).isEqualTo(new HostPort("127.0.0.1", 15000));
        assertThat(spec.metrics()).isEqualTo(Defaults.METRICS);
        assertThat(spec.health()).isEqualTo(Defaults.HEALTH);
        assertThat(spec.inbound()).isEqualTo(new Sidecar.Inbound(
                new HostPort("0.0.0.0", 15006), new HostPort("127.0.0.1", 8080), Protocol.HTTP));
        assertThat(spec.outbound().capture()).isEqualTo(new Sidecar.Capture(false, Defaults.CAPTURE));
        assertThat(spec.outbound().upstreams()).containsExactly(
                new Sidecar.Upstream(new HostPort("127.0.0.1", 9001), "payments.shop"));
        assertThat(spec.limits()).isEqualTo(new Sidecar.Limits(Defaults.MAX_REQUEST_LINE_BYTES, 65536,
                Defaults.MAX_CONCURRENT_STREAMS, Defaults.DOWNSTREAM_IDLE_TIMEOUT));
        assertThat(spec.serverFirstPorts()).isEqualTo(Defaults.SERVER_FIRST_PORTS);
    }

    @Test
    void serviceBindsEndpointsSubsetsAndTrafficPolicy() throws Exception {
        Snapshot snapshot = ConfigLoader.parse("example.yaml", example(), Map.of());

        assertThat(snapshot.services()).hasSize(1);
        Service service = snapshot.services().get(0);
        assertThat(service.key()).isEqualTo("payments.shop");
        Service.Spec spec = service.spec();
        assertThat(spec.hosts()).containsExactly("payments.shop.svc.cluster.local");
        assertThat(spec.addresses()).containsExactly(new HostPort("10.96.0.10", 80));
        assertThat(spec.protocol()).isEqualTo(Protocol.HTTP);
        assertThat(spec.trafficPolicy()).isEqualTo(new Service.TrafficPolicy(
                LoadBalancer.LEAST_REQUEST, Duration.ofSeconds(1), Defaults.UPSTREAM_IDLE_TIMEOUT));
        assertThat(spec.endpoints()).containsExactly(
                new Service.Endpoint(new HostPort("127.0.0.1", 8081), Map.of("version", "v1"), 1, null),
                new Service.Endpoint(new HostPort("127.0.0.1", 8082), Map.of("version", "v2"), 2, null));
        assertThat(spec.subsets()).containsExactly(
                new Service.Subset("v1", Map.of("version", "v1")),
                new Service.Subset("v2", Map.of("version", "v2")));
    }

    @Test
    void routeBindsRulesMatchesAndWeightedBackends() throws Exception {
        Snapshot snapshot = ConfigLoader.parse("example.yaml", example(), Map.of());

        assertThat(snapshot.routes()).hasSize(1);
        Route route = snapshot.routes().get(0);
        assertThat(route.metadata().qualifiedName()).isEqualTo("payments.shop");
        assertThat(route.spec().services()).containsExactly("payments.shop");
        assertThat(route.spec().rules()).containsExactly(
                new Route.Rule("beta-users",
                        List.of(new Route.Match(Route.StringMatch.prefix("/api"), "GET",
                                Map.of("x-beta", Route.StringMatch.exact("true")))),
                        List.of(new Route.Backend("payments.shop", "v2", Defaults.WEIGHT))),
                new Route.Rule("canary", List.of(), List.of(
                        new Route.Backend("payments.shop", "v1", 90),
                        new Route.Backend("payments.shop", "v2", 10))));
    }

    @Test
    void versionIsTwelveHexDigitsOfTheContent() throws Exception {
        String yaml = example();
        Snapshot first = ConfigLoader.parse("a.yaml", yaml, Map.of());
        Snapshot again = ConfigLoader.parse("b.yaml", yaml, Map.of());
        Snapshot changed = ConfigLoader.parse("a.yaml", yaml.replace("weight: 90", "weight: 80"), Map.of());

        assertThat(first.version()).matches("[0-9a-f]{12}");
        assertThat(again).isEqualTo(first);
        assertThat(changed.version()).isNotEqualTo(first.version());
    }

    @Test
    void loadReadsSeveralFilesInOrderLikeParse(@TempDir Path dir) throws Exception {
        String[] documents = example().split("(?m)^---\\n");
        Path sidecar = Files.writeString(dir.resolve("sidecar.yaml"), documents[0]);
        Path rest = Files.writeString(dir.resolve("mesh.yaml"), documents[1] + "---\n---\n" + documents[2]);

        Snapshot snapshot = ConfigLoader.load(List.of(sidecar, rest), Map.of());

        Snapshot inOneText = ConfigLoader.parse("x.yaml", example(), Map.of());
        assertThat(snapshot.sidecar()).isEqualTo(inOneText.sidecar());
        assertThat(snapshot.services()).isEqualTo(inOneText.services());
        assertThat(snapshot.routes()).isEqualTo(inOneText.routes());
        assertThat(ConfigLoader.validate(List.of(sidecar, rest), Map.of())).isEmpty();
    }

    @Test
    void fileWithoutSidecarGivesNullSidecarAndDefaultsOnRequest() throws Exception {
        String services = example().split("(?m)^---\\n")[1];

        Snapshot snapshot = ConfigLoader.parse("s.yaml", "# comment only\n---\n" + services, Map.of());

        assertThat(snapshot.sidecar()).isNull();
        assertThat(snapshot.sidecarOrDefault()).isEqualTo(Sidecar.defaults());
        assertThat(snapshot.services()).hasSize(1);
    }

    @Test
    void missingFileIsReportedByName(@TempDir Path dir) throws Exception {
        Path good = Files.writeString(dir.resolve("good.yaml"), example());
        Path missing = dir.resolve("missing.yaml");

        assertThatThrownBy(() -> ConfigLoader.load(List.of(good, missing), Map.of()))
                .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.errors()).containsExactly(
                        new ConfigError(missing.toString(), 0, 0, "",
                                "cannot read file: no such file, expected a readable YAML file")));
    }
}
