package io.remora.proxy.controlplane;

import io.remora.config.Sidecar;
import io.remora.config.Snapshot;
import io.remora.proxy.it.edge.Edge;
import io.remora.protocol.Node;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** What the hello says about the sidecar. */
class ControlPlaneClientTest {
    private static Sidecar sidecar(String outbound) {
        Snapshot s = Edge.snapshot("""
                apiVersion: remora.io/v1
                kind: Sidecar
                metadata: {name: web-7f9c, namespace: shop}
                spec:
                  workload: web
                """ + outbound + """
                ---
                apiVersion: remora.io/v1
                kind: Service
                metadata: {name: payments, namespace: shop}
                spec: {}
                ---
                apiVersion: remora.io/v1
                kind: Service
                metadata: {name: ledger, namespace: shop}
                spec: {}
                """);
        return s.sidecar();
    }

    @Test
    void aSidecarWithUpstreamListenersAsksForTheServicesTheyName() {
        Node node = ControlPlaneClient.node(sidecar("""
                  outbound:
                    upstreams:
                      - {listen: 127.0.0.1:9001, service: payments.shop}
                      - {listen: 127.0.0.1:9002, service: ledger.shop}
                      - {listen: 127.0.0.1:9003, service: payments.shop}
                """));
        assertThat(node).isEqualTo(new Node("shop", "web", java.util.List.of("payments.shop", "ledger.shop")));
    }

    @Test
    void aSidecarCapturingOutboundTrafficMayCallAnything() {
        Node node = ControlPlaneClient.node(sidecar("""
                  outbound:
                    capture: {enabled: true}
                    upstreams: [{listen: 127.0.0.1:9001, service: payments.shop}]
                """));
        assertThat(node.calls()).isNull();
        assertThat(node.workload()).isEqualTo("web");
    }
}
