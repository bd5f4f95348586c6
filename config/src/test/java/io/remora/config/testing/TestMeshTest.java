package io.remora.config.testing;

import io.remora.config.HostPort;
import io.remora.config.Protocol;
import io.remora.config.Route;
import io.remora.config.Service;
import io.remora.config.Sidecar;
import io.remora.config.Snapshot;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;

import static io.remora.config.testing.TestMesh.policy;
import static io.remora.config.testing.TestMesh.route;
import static io.remora.config.testing.TestMesh.service;
import static io.remora.config.testing.TestMesh.sidecar;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The builder writes the YAML a person would, and it loads as the resources it names. */
class TestMeshTest {
    @Test
    void aSidecarHasTheTestDefaultsAndWhatItIsGiven() {
        String yaml = sidecar("t", "test").inbound(new InetSocketAddress("127.0.0.1", 8080), "http2")
                .upstream("svc.test").upstream("127.0.0.1:9001", "other.test").set("limits.maxHeaderBytes", 1024)
                .yaml();

        assertThat(yaml).isEqualTo("""
                apiVersion: remora.io/v1
                kind: Sidecar
                metadata: {name: t, namespace: test}
                spec:
                  threads: 1
                  accessLog: false
                  admin: 127.0.0.1:0
                  metrics: 127.0.0.1:0
                  health: 127.0.0.1:0
                  inbound:
                    listen: 127.0.0.1:0
                    app: 127.0.0.1:8080
                    appProtocol: http2
                  outbound:
                    upstreams:
                      - listen: 127.0.0.1:0
                        service: svc.test
                      - listen: 127.0.0.1:9001
                        service: other.test
                  limits:
                    maxHeaderBytes: 1024
                """);
        Sidecar.Spec spec = TestMesh.parse(yaml + "---\n" + service("svc", "test").yaml() + "---\n"
                + service("other", "test").yaml()).sidecar().spec();
        assertThat(spec.threads()).isEqualTo(1);
        assertThat(spec.accessLog()).isFalse();
        assertThat(spec.admin()).isEqualTo(new HostPort("127.0.0.1", 0));
        assertThat(spec.inbound().appProtocol()).isEqualTo(Protocol.HTTP2);
        assertThat(spec.outbound().upstreams()).extracting(Sidecar.Upstream::service)
                .containsExactly("svc.test", "other.test");
        assertThat(spec.limits().maxHeaderBytes()).isEqualTo(1024);
    }

    @Test
    void aMeshLoadsAsItsResourcesInOrder() {
        Snapshot s = TestMesh.of(
                sidecar("web", "shop").upstream("reviews.shop").remove("threads"),
                service("reviews", "shop").protocol("http").trafficPolicy("{loadBalancer: ROUND_ROBIN}")
                        .endpoint("127.0.0.1:9101", e -> e.set("labels", "{version: v1}").set("weight", 3))
                        .endpoints(new InetSocketAddress("127.0.0.1", 9102)).subset("v1", "{version: v1}"),
                route("reviews", "shop").services("reviews.shop").rule(r -> r.name("canary")
                        .match("{path: {prefix: /v1}}").backend("reviews.shop", "v1", 90).backend("reviews.shop")),
                policy("callers", "shop").workloads("reviews").rule("{from: {namespaces: [shop]}}"),
                TestMesh.raw("---\napiVersion: remora.io/v1\nkind: Service\nmetadata: {name: empty}\nspec: {}\n"))
                .snapshot();

        assertThat(s.sidecar().spec().threads()).as("removed: the default")
                .isEqualTo(Sidecar.Spec.defaults().threads());
        assertThat(s.services()).extracting(Service::key).containsExactly("reviews.shop", "empty.default");
        Service reviews = s.services().get(0);
        assertThat(reviews.spec().endpoints()).extracting(e -> e.address() + " " + e.labels() + " " + e.weight())
                .containsExactly("127.0.0.1:9101 {version=v1} 3", "127.0.0.1:9102 {} 1");
        assertThat(reviews.spec().subsets()).extracting(Service.Subset::name).containsExactly("v1");
        Route.Rule rule = s.routes().get(0).spec().rules().get(0);
        assertThat(rule.name()).isEqualTo("canary");
        assertThat(rule.matches().get(0).path()).isEqualTo(Route.StringMatch.prefix("/v1"));
        assertThat(rule.backends()).containsExactly(new Route.Backend("reviews.shop", "v1", 90),
                new Route.Backend("reviews.shop", null, 1));
        assertThat(s.authorizationPolicies().get(0).spec().rules().get(0).from().namespaces()).containsExactly("shop");
    }

    @Test
    void aConfigThatDoesNotLoadIsThrownWithItsText() {
        assertThatThrownBy(() -> service("s", "test").set("endpoints", "[{address: 127.0.0.1:1, weight: -3}]")
                .snapshot())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("weight")
                .hasMessageContaining("kind: Service");
    }

    @Test
    void anEmptySpecAndEmptyListsAreWrittenAsSuch() {
        assertThat(service("s", "test").yaml()).endsWith("spec: {}\n");
        assertThat(route("r", "test").services().yaml()).endsWith("spec:\n  services: []\n");
    }
}
