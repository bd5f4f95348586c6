package io.remora.controlplane.mesh;

import io.remora.config.ConfigLoader;
import io.remora.config.Snapshot;
import io.remora.config.testing.TestMesh;
import io.remora.protocol.Node;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static io.remora.config.testing.TestMesh.policy;
import static io.remora.config.testing.TestMesh.route;
import static io.remora.config.testing.TestMesh.service;
import static org.assertj.core.api.Assertions.assertThat;

class ProxyNeedsTest {
    private static final String MESH = TestMesh.of(
            service("web", "shop").hosts("web.example.com").endpoint("10.0.0.1:80"),
            service("payments", "shop").endpoint("10.0.0.2:80"),
            service("payments-v2", "shop").endpoint("10.0.0.3:80"),
            service("audit", "ops").set("addresses", "[\"[FD00:0::4]:80\"]").endpoint("10.0.0.4:80"),
            route("payments", "shop").services("payments.shop")
                    .rule(r -> r.backend("payments.shop", 90).backend("payments-v2.shop", 10)),
            policy("web-callers", "shop").workloads("web").rule("{from: {namespaces: [shop]}}"),
            policy("everyone-in-shop", "shop").rule("{from: {namespaces: [shop]}}"),
            policy("ops", "ops").rule("{from: {namespaces: [ops]}}")).yaml();

    private static MeshState mesh() throws Exception {
        Snapshot s = ConfigLoader.parse("mesh.yaml", MESH, Map.of());
        Map<ResourceKey, String> texts = new TreeMap<>();
        ResourceTexts.split(MESH.getBytes(StandardCharsets.UTF_8), "default", texts);
        return new MeshState(Versions.of(texts), s, new TreeMap<>(texts), Instant.EPOCH);
    }

    private static Snapshot cut(Node node) throws Exception {
        ProxySnapshot p = ProxyNeeds.cut(mesh(), node);
        // What is cut must stand on its own: the sidecar validates it alone.
        Snapshot s = ConfigLoader.parse("cut", p.resources(), Map.of());
        assertThat(p.resourceCount()).isEqualTo(s.services().size() + s.routes().size()
                + s.authorizationPolicies().size());
        return s;
    }

    @Test
    void aCallerGetsTheServiceItCallsItsRoutesAndTheServicesTheirBackendsName() throws Exception {
        Snapshot s = cut(new Node("shop", "web", List.of("payments.shop")));
        assertThat(s.services()).extracting(v -> v.key()).containsExactlyInAnyOrder("payments.shop", "payments-v2.shop");
        assertThat(s.routes()).extracting(r -> r.metadata().name()).containsExactly("payments");
        assertThat(s.authorizationPolicies()).extracting(p -> p.metadata().name())
                .containsExactlyInAnyOrder("web-callers", "everyone-in-shop");
    }

    @Test
    void workloadsSelectedByTheSamePoliciesShareTheirNeedsAndSoOneCut() throws Exception {
        MeshState mesh = mesh();
        ProxyNeeds.Needs cart = ProxyNeeds.of(mesh, new Node("shop", "cart", List.of("payments.shop")));
        ProxyNeeds.Needs orders = ProxyNeeds.of(mesh, new Node("shop", "orders", List.of("payments.shop")));
        ProxyNeeds.Needs web = ProxyNeeds.of(mesh, new Node("shop", "web", List.of("payments.shop")));
        assertThat(cart).isEqualTo(orders).isNotEqualTo(web);
    }

    @Test
    void aCallIsResolvedByHostAsWell() throws Exception {
        Snapshot s = cut(new Node("ops", "audit", List.of("web.example.com")));
        assertThat(s.services()).extracting(v -> v.key()).containsExactly("web.shop");
        assertThat(s.authorizationPolicies()).extracting(p -> p.metadata().name()).containsExactly("ops");
    }

    /** Calls are resolved with the mesh index, as the validator and the sidecar's routing table resolve them. */
    @Test
    void aCallIsResolvedByVirtualAddressOrByItsKeyInAnyCase() throws Exception {
        assertThat(cut(new Node("shop", "web", List.of("[fd00:0::4]:80"))).services()).extracting(v -> v.key())
                .containsExactly("audit.ops");
        assertThat(cut(new Node("shop", "web", List.of("Payments.Shop"))).services()).extracting(v -> v.key())
                .containsExactlyInAnyOrder("payments.shop", "payments-v2.shop");
        assertThat(cut(new Node("shop", "web", List.of("payments.shop.svc"))).services()).isEmpty();
    }

    @Test
    void aCapturingSidecarGetsEveryServiceAndRoute() throws Exception {
        Snapshot s = cut(new Node("shop", "cart", null));
        assertThat(s.services()).hasSize(4);
        assertThat(s.routes()).hasSize(1);
        assertThat(s.authorizationPolicies()).extracting(p -> p.metadata().name()).containsExactly("everyone-in-shop");
    }

    @Test
    void equalNeedsGiveEqualSnapshotsAndAnUnrelatedChangeKeepsTheVersion() throws Exception {
        Node node = new Node("shop", "web", List.of("payments.shop"));
        MeshState before = mesh();
        assertThat(ProxyNeeds.cut(before, node)).isEqualTo(ProxyNeeds.cut(mesh(), node));
        String changed = MESH.replace("10.0.0.4:80", "10.0.0.5:80");
        Snapshot s = ConfigLoader.parse("mesh.yaml", changed, Map.of());
        Map<ResourceKey, String> texts = new TreeMap<>();
        ResourceTexts.split(changed.getBytes(StandardCharsets.UTF_8), "default", texts);
        MeshState after = new MeshState(Versions.of(texts), s, new TreeMap<>(texts), Instant.EPOCH);
        assertThat(after.version()).isNotEqualTo(before.version());
        assertThat(ProxyNeeds.cut(after, node).version()).isEqualTo(ProxyNeeds.cut(before, node).version());
        assertThat(after.removesEndpointsOf(before)).isTrue();
        assertThat(before.removesEndpointsOf(before)).isFalse();
    }
}
