package io.remora.proxy.controlplane;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.remora.config.Sidecar;
import io.remora.config.Snapshot;
import io.remora.config.testing.TestMesh;
import io.remora.protocol.DiscoveryRequest;
import io.remora.protocol.DiscoveryResponse;
import io.remora.proxy.ConfigTarget;
import io.remora.proxy.route.RouteTable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** What each push becomes: applied and ACKed, or NACKed with the reason and never applied. */
class SnapshotAcceptorTest {
    private static final String SERVICE = """
            apiVersion: remora.io/v1
            kind: Service
            metadata: {name: payments, namespace: shop}
            spec:
              endpoints: [{address: 127.0.0.1:8080}]
            """;

    @TempDir
    Path dir;

    private final Sidecar sidecar = Sidecar.defaults();
    private final List<Snapshot> applied = new ArrayList<>();
    private RuntimeException applyFails;
    private final ControlPlaneStatus status = new ControlPlaneStatus("cp:15010", Path.of("state", LastKnownGood.FILE),
            Clock.systemUTC(), new SimpleMeterRegistry());

    private SnapshotAcceptor acceptor() {
        ConfigTarget target = new ConfigTarget() {
            @Override
            public Snapshot running() {
                return applied.isEmpty() ? new Snapshot("", sidecar, List.of(), List.of(), List.of())
                        : applied.get(applied.size() - 1);
            }

            @Override
            public void rejected() {
            }

            @Override
            public void apply(Snapshot next) {
                if (applyFails != null) {
                    throw applyFails;
                }
                RouteTable.build(next); // what the proxy applies
                applied.add(next);
            }
        };
        return new SnapshotAcceptor(target, new LastKnownGood(dir), status);
    }

    @Test
    void aValidPushIsAppliedWithTheSidecarKeptAndAcked() throws Exception {
        DiscoveryRequest answer = acceptor().accept(new DiscoveryResponse("v1", "n1", SERVICE));

        assertThat(answer).isEqualTo(DiscoveryRequest.ack("v1", "n1"));
        assertThat(applied).singleElement().satisfies(s -> {
            assertThat(s.version()).isEqualTo("v1");
            assertThat(s.sidecar()).isSameAs(sidecar);
            assertThat(s.services()).extracting(service -> service.key()).containsExactly("payments.shop");
        });
        assertThat(Files.readString(dir.resolve(LastKnownGood.FILE)))
                .isEqualTo("# remora last-known-good version: v1\n" + SERVICE);
        assertThat(status.dump("v1")).containsEntry("acks", 1L).containsEntry("last_nonce", "");
    }

    @Test
    void anInvalidPushIsNackedWithEveryErrorAndNeverApplied() throws Exception {
        SnapshotAcceptor acceptor = acceptor();
        acceptor.accept(new DiscoveryResponse("v1", "n1", SERVICE));

        DiscoveryRequest answer = acceptor.accept(new DiscoveryResponse("v2", "n2",
                SERVICE.replace("endpoints:", "endpoint:")));

        assertThat(answer.isNack()).isTrue();
        assertThat(answer.version()).isEqualTo("v1");
        assertThat(answer.nonce()).isEqualTo("n2");
        assertThat(answer.error().reason()).isEqualTo(DiscoveryRequest.Reason.INVALID_CONFIG);
        assertThat(answer.error().detail()).startsWith("control-plane v2:5:3: spec.endpoint: unknown field");
        assertThat(applied).hasSize(1);
        assertThat(Files.readString(dir.resolve(LastKnownGood.FILE))).startsWith(
                "# remora last-known-good version: v1\n");
        @SuppressWarnings("unchecked")
        Map<String, Object> nack = (Map<String, Object>) status.dump("v1").get("last_nack");
        assertThat(nack).containsEntry("refused_version", "v2").containsEntry("reason", "INVALID_CONFIG");
    }

    /**
     * What the validator accepts, the routing table is built from (its mesh index): pushes that once passed the
     * validator and then failed to apply (a route naming its service by virtual address, one address spelled two
     * ways, an endpoint identity no certificate can carry, weights past an int) are now ACKed or NACKed
     * INVALID_CONFIG, never APPLY_FAILED.
     */
    @Test
    void everyPushTheValidatorAcceptsAppliesToARealRoutingTable() {
        String vip = SERVICE.replace("spec:\n", "spec:\n  addresses: [10.96.0.10:80]\n");
        String route = """
                ---
                apiVersion: remora.io/v1
                kind: Route
                metadata: {name: payments, namespace: shop}
                spec: {services: [10.96.0.10:80], rules: [{backends: [{service: payments.shop, weight: %d},
                  {service: payments.shop, weight: %d}]}]}
                """;
        String twoSpellings = vip + """
                ---
                apiVersion: remora.io/v1
                kind: Service
                metadata: {name: other, namespace: shop}
                spec: {addresses: ["[::ffff:10.96.0.10]:80"]}
                """;
        String identity = SERVICE.replace("8080}", "8080, identity: \"spiffe://Cluster.Local/ns/shop/sa/p\"}");
        // Each push, and null for an ACK or what its INVALID_CONFIG NACK says.
        Map<String, String> pushes = new java.util.LinkedHashMap<>();
        pushes.put(SERVICE, null);
        pushes.put(vip + route.formatted(1, 2), null);
        pushes.put(vip + route.formatted(Integer.MAX_VALUE, 1), "weights sum to 2147483648");
        pushes.put(twoSpellings, "which already names Service payments.shop");
        pushes.put(identity, "expected a SPIFFE ID");
        SnapshotAcceptor acceptor = acceptor();
        int version = 0;
        for (Map.Entry<String, String> push : pushes.entrySet()) {
            version++;
            DiscoveryRequest answer = acceptor.accept(new DiscoveryResponse("v" + version, "n" + version,
                    push.getKey()));
            if (push.getValue() == null) {
                assertThat(answer.isNack()).as(push.getKey()).isFalse();
            } else {
                assertThat(answer.error().reason()).as(push.getKey()).isEqualTo(DiscoveryRequest.Reason.INVALID_CONFIG);
                assertThat(answer.error().detail()).contains(push.getValue());
            }
        }
        assertThat(applied).hasSize(2);
    }

    /** APPLY_FAILED stays in the protocol: a target that throws anyway is NACKed with it, and nothing is kept. */
    @Test
    void aPushTheProxyCannotApplyIsNackedApplyFailed() {
        applyFails = new IllegalArgumentException("host \"a\" is claimed by services x.shop and y.shop");

        DiscoveryRequest answer = acceptor().accept(new DiscoveryResponse("v1", "n1", SERVICE));

        assertThat(answer).isEqualTo(DiscoveryRequest.nack("", "n1", DiscoveryRequest.Reason.APPLY_FAILED,
                "host \"a\" is claimed by services x.shop and y.shop"));
        assertThat(dir.resolve(LastKnownGood.FILE)).doesNotExist();
    }

    @Test
    void aSidecarAmongThePushedResourcesIsRefused() {
        String withSidecar = TestMesh.of(TestMesh.raw(SERVICE), TestMesh.sidecar("web", null)).yaml();

        DiscoveryRequest answer = acceptor().accept(new DiscoveryResponse("v1", "n1", withSidecar));

        assertThat(answer.error().reason()).isEqualTo(DiscoveryRequest.Reason.INVALID_CONFIG);
        assertThat(answer.error().detail()).contains("got a Sidecar");
        assertThat(applied).isEmpty();
    }

    @Test
    void aPushWithoutAUsableVersionOrResourcesIsNackedDecodeFailed() {
        SnapshotAcceptor acceptor = acceptor();
        assertThat(acceptor.accept(new DiscoveryResponse("", "n1", SERVICE)).error().reason())
                .isEqualTo(DiscoveryRequest.Reason.DECODE_FAILED);
        assertThat(acceptor.accept(new DiscoveryResponse("v1\nrm -rf", "n2", SERVICE)).error().reason())
                .isEqualTo(DiscoveryRequest.Reason.DECODE_FAILED);
        assertThat(acceptor.accept(new DiscoveryResponse("v1", "n3", null)).error().reason())
                .isEqualTo(DiscoveryRequest.Reason.DECODE_FAILED);
        assertThat(applied).isEmpty();
    }

    @Test
    void anEmptyPushIsAnEmptyConfig() throws Exception {
        assertThat(acceptor().accept(new DiscoveryResponse("v0", "n1", "")).isNack()).isFalse();
        assertThat(applied).singleElement().satisfies(s -> assertThat(s.services()).isEmpty());
    }
}
