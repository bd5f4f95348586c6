package io.remora.controlplane.kubernetes;

import io.fabric8.kubernetes.api.model.authentication.TokenReview;
import io.fabric8.kubernetes.api.model.authentication.TokenReviewBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.grpc.StatusRuntimeException;
import io.remora.certs.KeyPairs;
import io.remora.certs.X509Svids;
import io.remora.controlplane.it.MeshFixture;
import io.remora.controlplane.it.TestSidecar;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The CA service in cluster mode: a sidecar's projected service-account token is checked with TokenReview, and the
 * certificate names the service account the API server says the token belongs to.
 */
@EnableKubernetesMockClient(https = false,
        kubernetesClientBuilderCustomizer = TokenReviewVerifierTest.NoRetries.class)
class KubernetesCertificateTest {
    private static final String PATH = "/apis/authentication.k8s.io/v1/tokenreviews";

    KubernetesMockServer server;
    KubernetesClient client;
    @TempDir
    Path dir;
    private MeshFixture mesh;

    @AfterEach
    void tearDown() {
        if (mesh != null) {
            mesh.close();
        }
    }

    private static TokenReview review(boolean authenticated, String error, String username) {
        var status = new TokenReviewBuilder().withNewStatus().withAuthenticated(authenticated).withError(error)
                .withAudiences("remora");
        if (username != null) {
            status.withNewUser().withUsername(username).endUser();
        }
        return status.endStatus().build();
    }

    @Test
    void aServiceAccountTokenGetsTheCertificateOfItsServiceAccountAndABadOneIsRefusedWithTheApisReason()
            throws Exception {
        mesh = new MeshFixture(dir, true, Duration.ofMillis(20), Duration.ofMillis(200),
                new TokenReviewVerifier(client));
        server.expect().post().withPath(PATH)
                .andReturn(201, review(true, null, "system:serviceaccount:shop:reviews")).once();
        var chain = TestSidecar.sign(mesh.server.port(), mesh.bundle, "projected-token", KeyPairs.ecP256());
        assertThat(X509Svids.uriSans(chain.get(0))).containsExactly("spiffe://cluster.local/ns/shop/sa/reviews");

        server.expect().post().withPath(PATH)
                .andReturn(201, review(false, "[token has expired]", null)).once();
        assertThatThrownBy(() -> TestSidecar.sign(mesh.server.port(), mesh.bundle, "stale", KeyPairs.ecP256()))
                .isInstanceOf(StatusRuntimeException.class)
                .hasMessageContaining("UNAUTHENTICATED")
                .hasMessageContaining("token not authenticated by the Kubernetes API: [token has expired]");
        assertThat(mesh.scrape()).contains("remora_cp_certificates_total{result=\"refused_credential\"} 1.0");
    }
}
