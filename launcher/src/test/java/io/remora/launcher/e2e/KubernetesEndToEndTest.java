package io.remora.launcher.e2e;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.remora.controlplane.ControlPlaneServer;
import io.remora.controlplane.kubernetes.KubernetesSource;
import io.remora.controlplane.kubernetes.MeshCrd;
import io.remora.controlplane.kubernetes.MockCluster;
import io.remora.controlplane.push.PushService;
import io.remora.controlplane.source.MeshSource;
import io.remora.proxy.ProxyServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static io.remora.config.testing.Eventually.eventually;
import static io.remora.launcher.e2e.LocalMesh.CALLER_A;
import static io.remora.launcher.e2e.LocalMesh.CALLER_B;
import static io.remora.launcher.e2e.LocalMesh.HELLO_ID;
import static io.remora.launcher.e2e.LocalMesh.HELLO_V1;
import static io.remora.launcher.e2e.LocalMesh.HELLO_V2;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The directory's end-to-end scenarios with the mesh held in the Kubernetes API instead (fabric8's mock API server in
 * CRUD mode, Remora's CRDs installed from {@code deploy/kubernetes/crds.yaml}): the real control plane reads it
 * through a {@link KubernetesSource}, and the real sidecars of {@link LocalMesh} (two STRICT services, two callers)
 * carry real traffic. A Route changed through the API shifts both callers' traffic; an AuthorizationPolicy made
 * invalid is rejected alone (its last good content kept, its status saying why) while a Route change lands.
 */
@Timeout(90)
@EnableKubernetesMockClient(crud = true)
class KubernetesEndToEndTest {
    /** Bound of every wait for something to happen (a push, a status write). */
    private static final Duration SOON = Duration.ofSeconds(15);
    private static final String NS = "demo";

    KubernetesClient client;
    @TempDir
    Path dir;

    private LocalMesh mesh;
    private MockCluster api;

    @AfterEach
    void close() {
        if (mesh != null) {
            mesh.close();
        }
    }

    /** The Service hello.demo: both service sidecars' inbound ports, subsets v1 and v2. */
    private static String serviceSpec(int v1Inbound, int v2Inbound) {
        return """
                protocol: http
                endpoints:
                  - {address: 127.0.0.1:%d, labels: {version: v1}, identity: %s}
                  - {address: 127.0.0.1:%d, labels: {version: v2}, identity: %s}
                subsets:
                  - {name: v1, labels: {version: v1}}
                  - {name: v2, labels: {version: v2}}
                """.formatted(v1Inbound, HELLO_ID, v2Inbound, HELLO_ID);
    }

    private static String policySpec(String rules) {
        return """
                workloads: [hello-v1, hello-v2]
                rules: %s
                """.formatted(rules);
    }

    private static final String CALLERS = "[{from: {namespaces: [demo]}}]";

    private static String routeSpec(int v1Weight, int v2Weight) {
        return """
                services: [hello.demo]
                rules:
                  - name: canary
                    backends:
                      - {service: hello.demo, subset: v1, weight: %d}
                      - {service: hello.demo, subset: v2, weight: %d}
                """.formatted(v1Weight, v2Weight);
    }

    /**
     * Starts the mesh with the Service, the AuthorizationPolicy {@code callers} and the Route hello (weights
     * {@code v1Weight/v2Weight}) created as custom objects in namespace demo before the control plane starts, which
     * reads them through a KubernetesSource (all namespaces) besides its empty mesh directory.
     */
    private LocalMesh startMesh(int v1Weight, int v2Weight) throws Exception {
        api = new MockCluster(client);
        return LocalMesh.start(dir, new LocalMesh.MeshSetup() {
            @Override
            public void prepare(LocalMesh m) {
                api.create(MeshCrd.SERVICE, NS, "hello", serviceSpec(m.v1Inbound, m.v2Inbound));
                api.create(MeshCrd.AUTHORIZATION_POLICY, NS, "callers", policySpec(CALLERS));
                api.create(MeshCrd.ROUTE, NS, "hello", routeSpec(v1Weight, v2Weight));
            }

            @Override
            public List<MeshSource> sources() {
                return List.of(new KubernetesSource(client, LocalMesh.TRUST_DOMAIN, null));
            }
        });
    }

    private static Map<String, PushService.ProxyStatus> byWorkload(ControlPlaneServer server) {
        return server.proxies().stream().collect(Collectors.toMap(PushService.ProxyStatus::workload, p -> p,
                (x, y) -> x));
    }

    private void assertNoMeshFiles() throws Exception {
        try (Stream<Path> files = Files.list(mesh.mesh)) {
            assertThat(files).as("files in the mesh directory: the API holds the mesh").isEmpty();
        }
    }

    // ---- 1 --------------------------------------------------------------------------------------------------

    @Test
    void aRouteChangeThroughTheApiReachesBothCallersAndShiftsTheirTraffic() throws Exception {
        mesh = startMesh(100, 0);
        assertNoMeshFiles();
        assertThat(mesh.versions(CALLER_A, 20)).isEqualTo(Map.of("v1", 20));
        assertThat(mesh.versions(CALLER_B, 20)).isEqualTo(Map.of("v1", 20));
        String before = mesh.sidecar(CALLER_A).configVersion();

        api.update(MeshCrd.ROUTE, NS, "hello", routeSpec(0, 100));

        eventually(SOON, "caller-a serves only v2", () -> mesh.allServedBy(CALLER_A, "v2", 10));
        eventually(SOON, "caller-b serves only v2", () -> mesh.allServedBy(CALLER_B, "v2", 10));
        assertThat(mesh.versions(CALLER_A, 20)).isEqualTo(Map.of("v2", 20));
        assertThat(mesh.versions(CALLER_B, 20)).isEqualTo(Map.of("v2", 20));
        String after = mesh.sidecar(CALLER_A).configVersion();
        assertThat(after).isNotEqualTo(before);
        // Both callers need the same thing (hello.demo and its route), so they run the same cut of the mesh.
        assertThat(mesh.sidecar(CALLER_B).configVersion()).isEqualTo(after);

        // The control plane knows the four sidecars and that both callers ACKed the new version.
        ControlPlaneServer server = mesh.controlPlane();
        eventually(SOON, "the control plane lists four sidecars, the callers running " + after, () -> {
            Map<String, PushService.ProxyStatus> proxies = byWorkload(server);
            return proxies.keySet().equals(Set.copyOf(LocalMesh.SIDECARS))
                    && after.equals(proxies.get(CALLER_A).running()) && after.equals(proxies.get(CALLER_B).running());
        });
        assertThat(byWorkload(server).values()).allSatisfy(p -> assertThat(p.nacked()).isNull());
        assertThat(mesh.scrape()).containsPattern("remora_cp_convergence_seconds_count [1-9]")
                .contains("remora_cp_connected_proxies 4.0")
                .contains("remora_cp_config_rejected_origins 0.0");
        assertNoMeshFiles();
    }

    // ---- 2 --------------------------------------------------------------------------------------------------

    @Test
    void anInvalidObjectIsRejectedAloneWithItsStatusWhileAValidChangeToAnotherLands() throws Exception {
        mesh = startMesh(100, 0);
        String v1Running = mesh.sidecar(HELLO_V1).configVersion();
        String v2Running = mesh.sidecar(HELLO_V2).configVersion();
        assertThat(mesh.versions(CALLER_A, 10)).isEqualTo(Map.of("v1", 10));
        assertThat(MockCluster.condition(api.get(MeshCrd.AUTHORIZATION_POLICY, NS, "callers"), "Accepted"))
                .as("an object accepted from the start gets no status write").isNull();

        // The policy gets an unknown field, and the route's weights change, in the same moment.
        api.update(MeshCrd.AUTHORIZATION_POLICY, NS, "callers",
                policySpec("[{from: {namespaces: [demo]}, nonsense: 1}]"));
        api.update(MeshCrd.ROUTE, NS, "hello", routeSpec(0, 100));

        // The route change lands: both callers reach only v2, through STRICT hello-v2 (which still lets demo in).
        eventually(SOON, "caller-a serves only v2", () -> mesh.allServedBy(CALLER_A, "v2", 10));
        eventually(SOON, "caller-b serves only v2", () -> mesh.allServedBy(CALLER_B, "v2", 10));
        eventually(SOON, "the rejection is counted",
                () -> mesh.scrape().contains("remora_cp_config_rejected_origins 1.0"));
        assertThat(mesh.scrape()).contains("remora_cp_config_rejected_total{source=\"kubernetes\"} 1.0");

        // The policy's last good content stays: the service sidecars still run the policy letting demo call them,
        // unchanged (nothing was pushed to them).
        for (String name : List.of(HELLO_V1, HELLO_V2)) {
            ProxyServer p = mesh.sidecar(name);
            assertThat(p.context().routes().snapshot().authorizationPolicies())
                    .extracting(a -> a.metadata().name()).as(name + "'s AuthorizationPolicies")
                    .containsExactly("callers");
        }
        assertThat(mesh.sidecar(HELLO_V1).configVersion()).isEqualTo(v1Running);
        assertThat(mesh.sidecar(HELLO_V2).configVersion()).isEqualTo(v2Running);

        // The policy object says why, in its status, read back through the API.
        AtomicReference<Map<String, Object>> accepted = new AtomicReference<>();
        eventually(SOON, "the policy's status has Accepted=False", () -> {
            GenericKubernetesResource policy = api.get(MeshCrd.AUTHORIZATION_POLICY, NS, "callers");
            accepted.set(MockCluster.condition(policy, "Accepted"));
            return accepted.get() != null && "False".equals(accepted.get().get("status"));
        });
        assertThat(accepted.get()).containsEntry("reason", "Invalid");
        assertThat(String.valueOf(accepted.get().get("message"))).contains("unknown field 'nonsense'");
        // The route, accepted all along, got no condition.
        assertThat(MockCluster.condition(api.get(MeshCrd.ROUTE, NS, "hello"), "Accepted")).isNull();

        // A later change lands too while the policy stays broken, and STRICT hello-v1 accepts the callers again.
        api.update(MeshCrd.ROUTE, NS, "hello", routeSpec(100, 0));
        eventually(SOON, "caller-a serves only v1", () -> mesh.allServedBy(CALLER_A, "v1", 10));
        eventually(SOON, "caller-b serves only v1", () -> mesh.allServedBy(CALLER_B, "v1", 10));
        assertThat(mesh.scrape()).contains("remora_cp_config_rejected_origins 1.0")
                .contains("remora_cp_config_rejected_total{source=\"kubernetes\"} 1.0");
        assertNoMeshFiles();
    }
}
