package io.remora.protocol;

import io.grpc.StatusRuntimeException;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class JsonMarshallerTest {
    @Test
    void requestsAndResponsesSurviveTheWire() {
        var m = MeshProtocol.SUBSCRIBE;
        DiscoveryRequest hello = DiscoveryRequest.hello(new Node("shop", "cart", List.of("payments.shop")), "abc");
        assertThat(m.parseRequest(m.streamRequest(hello))).isEqualTo(hello);
        DiscoveryRequest nack = DiscoveryRequest.nack("abc", "n1", DiscoveryRequest.Reason.INVALID_CONFIG, "x:1:2: bad");
        assertThat(m.parseRequest(m.streamRequest(nack))).isEqualTo(nack);
        assertThat(m.parseRequest(m.streamRequest(nack)).isNack()).isTrue();
        DiscoveryResponse push = new DiscoveryResponse("v1", "n1", "kind: Service\n");
        assertThat(m.parseResponse(m.streamResponse(push))).isEqualTo(push);
    }

    @Test
    void aSnapshotSentToManySidecarsIsEncodedOnceAndEachPushKeepsItsOwnVersionAndNonce() {
        var m = MeshProtocol.SUBSCRIBE;
        String resources = "kind: Service\nmetadata: {name: \"a\"}\n\ttab \u00e9\n";
        for (int i = 0; i < 3; i++) {
            DiscoveryResponse push = new DiscoveryResponse("v" + i, "n" + i, resources);
            assertThat(m.parseResponse(m.streamResponse(push))).isEqualTo(push);
        }
        for (int i = 0; i < 100; i++) { // more distinct snapshots than are kept
            DiscoveryResponse push = new DiscoveryResponse("w" + i, "n", "r" + i);
            assertThat(m.parseResponse(m.streamResponse(push))).isEqualTo(push);
        }
        DiscoveryResponse empty = new DiscoveryResponse("e", "n", null);
        assertThat(m.parseResponse(m.streamResponse(empty))).isEqualTo(empty);
    }

    @Test
    void aNodeWithoutCallsMayCallAnything() {
        var m = MeshProtocol.SUBSCRIBE;
        DiscoveryRequest hello = DiscoveryRequest.hello(new Node("shop", "cart", null), null);
        assertThat(m.parseRequest(m.streamRequest(hello)).node().calls()).isNull();
    }

    @Test
    void aNodeCarriesItsVersionAndMetricsAddressAndAnOlderSidecarsHelloWithoutThemStillReads() {
        var m = MeshProtocol.SUBSCRIBE;
        DiscoveryRequest hello = DiscoveryRequest.hello(new Node("shop", "cart", null, "v2", "0.0.0.0:15020"), "");
        assertThat(m.parseRequest(m.streamRequest(hello))).isEqualTo(hello);
        String old = "{\"node\":{\"namespace\":\"shop\",\"workload\":\"cart\",\"calls\":[\"a.shop\"]},"
                + "\"version\":\"abc\",\"nonce\":\"\"}";
        DiscoveryRequest read = m.parseRequest(new ByteArrayInputStream(old.getBytes(StandardCharsets.UTF_8)));
        assertThat(read.node()).isEqualTo(new Node("shop", "cart", List.of("a.shop")));
        assertThat(read.node().version()).isNull();
        assertThat(read.node().metrics()).isNull();
        // What an older control plane reads from a newer sidecar: the new fields are unknown to it and ignored.
        String newer = "{\"node\":{\"namespace\":\"shop\",\"workload\":\"cart\",\"version\":\"v2\","
                + "\"metrics\":\"0.0.0.0:15020\",\"certificate\":\"later\"},\"version\":\"\",\"nonce\":\"\"}";
        assertThat(m.parseRequest(new ByteArrayInputStream(newer.getBytes(StandardCharsets.UTF_8))).node())
                .isEqualTo(new Node("shop", "cart", null, "v2", "0.0.0.0:15020"));
    }

    @Test
    void garbageIsAnInvalidArgument() {
        assertThatThrownBy(() -> MeshProtocol.SIGN_CERTIFICATE.parseRequest(
                new ByteArrayInputStream("{not json".getBytes(StandardCharsets.UTF_8))))
                .isInstanceOf(StatusRuntimeException.class)
                .hasMessageContaining("INVALID_ARGUMENT").hasMessageContaining("CertificateRequest");
    }

    @Test
    void bearerTokens() {
        assertThat(MeshProtocol.token(MeshProtocol.bearer("t0k"))).isEqualTo("t0k");
        assertThat(MeshProtocol.token("bearer  t0k ")).isEqualTo("t0k");
        assertThat(MeshProtocol.token("Basic abc")).isNull();
        assertThat(MeshProtocol.token("Bearer ")).isNull();
        assertThat(MeshProtocol.token(null)).isNull();
    }
}
