package io.remora.proxy.controlplane;

import io.remora.config.Sidecar;
import io.remora.config.testing.TestMesh;
import io.remora.config.testing.TestMesh.SidecarDoc;
import io.remora.protocol.Node;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** What the hello says about the sidecar. */
class ControlPlaneClientTest {
    /** The pod web-7f9c of workload web, beside the services payments.shop and ledger.shop. */
    private static Sidecar sidecar(SidecarDoc sidecar) {
        return TestMesh.of(sidecar.workload("web"), TestMesh.service("payments", "shop"),
                TestMesh.service("ledger", "shop")).snapshot().sidecar();
    }

    private static SidecarDoc pod() {
        return TestMesh.sidecar("web-7f9c", "shop");
    }

    @Test
    void aSidecarWithUpstreamListenersAsksForTheServicesTheyName() {
        Node node = ControlPlaneClient.node(sidecar(pod().upstream("127.0.0.1:9001", "payments.shop")
                .upstream("127.0.0.1:9002", "ledger.shop").upstream("127.0.0.1:9003", "payments.shop")), null);
        assertThat(node).isEqualTo(new Node("shop", "web", java.util.List.of("payments.shop", "ledger.shop"),
                "latest", null));
    }

    @Test
    void aSidecarCapturingOutboundTrafficMayCallAnything() {
        Node node = ControlPlaneClient.node(sidecar(pod().set("outbound.capture.enabled", true)
                .upstream("127.0.0.1:9001", "payments.shop")), null);
        assertThat(node.calls()).isNull();
        assertThat(node.workload()).isEqualTo("web");
    }

    @Test
    void theHelloNamesTheVersionLabelAndTheBoundMetricsAddressForTheControlPlaneToScrape() {
        Sidecar labelled = TestMesh.parse("""
                apiVersion: remora.io/v1
                kind: Sidecar
                metadata: {name: web-7f9c, namespace: shop, labels: {app: web, version: v3}}
                spec: {workload: web}
                """).sidecar();
        Node node = ControlPlaneClient.node(labelled, new java.net.InetSocketAddress("0.0.0.0", 15020));
        assertThat(node.version()).isEqualTo("v3");
        assertThat(node.metrics()).isEqualTo("0.0.0.0:15020");
        Node canonical = ControlPlaneClient.node(TestMesh.parse("""
                apiVersion: remora.io/v1
                kind: Sidecar
                metadata:
                  name: web
                  namespace: shop
                  labels: {version: v3, service.istio.io/canonical-revision: canary}
                spec: {}
                """).sidecar(), new java.net.InetSocketAddress("::1", 1234));
        assertThat(canonical.version()).isEqualTo("canary");
        assertThat(canonical.metrics()).isEqualTo("[0:0:0:0:0:0:0:1]:1234");
    }
}
