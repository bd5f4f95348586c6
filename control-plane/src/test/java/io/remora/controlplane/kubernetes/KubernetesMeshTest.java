package io.remora.controlplane.kubernetes;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.remora.config.ConfigLoader;
import io.remora.config.Snapshot;
import io.remora.config.testing.Eventually;
import io.remora.controlplane.it.MeshFixture;
import io.remora.controlplane.it.TestSidecar;
import io.remora.protocol.DiscoveryResponse;
import io.remora.protocol.Node;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The directory scenarios again, with the mesh in the Kubernetes API (fabric8's mock API server in CRUD mode): a
 * route change reaches two sidecars, an invalid resource is rejected alone (and says so in its status) while a
 * valid change to another lands, and a Kubernetes Service's endpoints reach the sidecars that call it.
 */
@EnableKubernetesMockClient(crud = true)
class KubernetesMeshTest {
    KubernetesClient client;
    @TempDir
    Path dir;
    private MeshFixture mesh;
    private MockCluster cluster;
    private final List<AutoCloseable> closing = new java.util.ArrayList<>();

    private static String route(int v1, int v2) {
        return """
                services: [reviews.shop]
                rules:
                  - name: split
                    backends:
                      - {service: reviews.shop, subset: v1, weight: %d}
                      - {service: reviews.shop, subset: v2, weight: %d}
                """.formatted(v1, v2);
    }

    @BeforeEach
    void setUp() throws Exception {
        cluster = new MockCluster(client);
        cluster.create(MeshCrd.SERVICE, "shop", "reviews", """
                endpoints:
                  - {address: 10.1.0.11:9080, labels: {version: v1}, identity: spiffe://cluster.local/ns/shop/sa/reviews}
                  - {address: 10.1.0.12:9080, labels: {version: v2}, identity: spiffe://cluster.local/ns/shop/sa/reviews}
                subsets: [{name: v1, labels: {version: v1}}, {name: v2, labels: {version: v2}}]
                """);
        cluster.create(MeshCrd.ROUTE, "shop", "reviews", route(90, 10));
        cluster.create(MeshCrd.AUTHORIZATION_POLICY, "shop", "ratings-callers", """
                workloads: [ratings]
                rules: [{from: {namespaces: [shop]}}]
                """);
        mesh = new MeshFixture(dir, false, Duration.ofMillis(20), Duration.ofMillis(200),
                new KubernetesSource(client, "cluster.local", null));
    }

    @AfterEach
    void tearDown() throws Exception {
        for (AutoCloseable c : closing) {
            c.close();
        }
        mesh.close();
    }

    private TestSidecar sidecar(String workload, List<String> calls) throws Exception {
        TestSidecar s = new TestSidecar(mesh.server.port(), mesh.bundle, mesh.token("shop", workload),
                new Node("shop", workload, calls), null, TestSidecar::ack);
        closing.add(s);
        return s;
    }

    private static Snapshot parse(DiscoveryResponse r) throws Exception {
        return ConfigLoader.parse("push", r.resources(), Map.of());
    }

    /** The first push whose route has the weights asked for (an earlier push may predate the API's last event). */
    private static Snapshot until(TestSidecar s, int v1) throws Exception {
        for (int i = 0; i < 10; i++) {
            Snapshot snap = parse(s.next());
            if (!snap.routes().isEmpty()
                    && snap.routes().get(0).spec().rules().get(0).backends().get(0).weight() == v1) {
                return snap;
            }
        }
        throw new AssertionError("no push with weight " + v1);
    }

    @Test
    void aRouteChangeInTheApiReachesTwoSidecars() throws Exception {
        TestSidecar web = sidecar("web", List.of("reviews.shop"));
        TestSidecar cart = sidecar("cart", null);
        until(web, 90);
        until(cart, 90);
        cluster.update(MeshCrd.ROUTE, "shop", "reviews", route(20, 80));
        assertThat(until(web, 20).services()).extracting(v -> v.key()).containsExactly("reviews.shop");
        until(cart, 20);
    }

    @Test
    void anInvalidResourceIsRejectedAloneWithItsStatusWhileAValidChangeToAnotherLands() throws Exception {
        TestSidecar web = sidecar("web", List.of("reviews.shop"));
        until(web, 90);
        cluster.update(MeshCrd.AUTHORIZATION_POLICY, "shop", "ratings-callers", """
                workloads: [ratings]
                rules: [{from: {namespaces: [shop], nonsense: 1}}]
                """);
        cluster.update(MeshCrd.ROUTE, "shop", "reviews", route(50, 50));
        until(web, 50);
        GenericKubernetesResource policy = Eventually.within(Duration.ofSeconds(5)).untilFound(
                "the policy's status to name the unknown field",
                () -> Optional.of(cluster.get(MeshCrd.AUTHORIZATION_POLICY, "shop", "ratings-callers"))
                        .filter(p -> String.valueOf(p.getAdditionalProperties().get("status")).contains("nonsense")));
        assertThat(String.valueOf(policy.getAdditionalProperties().get("status")))
                .contains("Accepted").contains("False").contains("unknown field 'nonsense'");
        assertThat(mesh.scrape()).contains("remora_cp_config_rejected_total{source=\"kubernetes\"} 1.0");
        // The sidecar the policy concerns still gets its last good content.
        TestSidecar ratings = sidecar("ratings", List.of());
        assertThat(parse(ratings.next()).authorizationPolicies()).hasSize(1);
    }

    @Test
    void aKubernetesServicesEndpointsReachTheSidecarsThatCallIt() throws Exception {
        client.resource(MockCluster.service("shop", "ratings", "10.96.0.20", MockCluster.port("http", 9080)))
                .create();
        client.resource(MockCluster.injectedPod("shop", "ratings-1", "ratings", Map.of("app", "ratings"))).create();
        client.resource(MockCluster.slice("shop", "ratings", "ratings-x1", "http", 9080,
                Map.of("10.1.0.21", "ratings-1"))).create();
        TestSidecar web = sidecar("web", List.of("ratings.shop"));
        for (int i = 0; i < 10; i++) {
            DiscoveryResponse r = web.received.poll(10, TimeUnit.SECONDS);
            assertThat(r).as("a push").isNotNull();
            if (r.resources().contains("ratings")) {
                Snapshot s = parse(r);
                assertThat(s.services()).extracting(v -> v.key()).containsExactly("ratings.shop");
                // The slice may be seen before its pod (two watches): the endpoint then comes without an identity,
                // and again with it once the pod is known.
                if (!s.services().get(0).spec().endpoints().isEmpty()
                        && s.services().get(0).spec().endpoints().get(0).identity() != null) {
                    assertThat(s.services().get(0).spec().endpoints().get(0).identity())
                            .isEqualTo("spiffe://cluster.local/ns/shop/sa/ratings");
                    return;
                }
            }
        }
        throw new AssertionError("ratings.shop never pushed");
    }
}
