package io.remora.controlplane.kubernetes;

import io.fabric8.kubernetes.api.model.StatusBuilder;
import io.fabric8.kubernetes.api.model.authentication.TokenReview;
import io.fabric8.kubernetes.api.model.authentication.TokenReviewBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.fabric8.mockwebserver.http.RecordedRequest;
import io.remora.controlplane.ca.CredentialVerifier;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The TokenReview verifier against a mock API server in expectation mode (in CRUD mode a TokenReview create only
 * echoes the request): each answer the API server can give, and no answer at all.
 */
@EnableKubernetesMockClient(https = false, kubernetesClientBuilderCustomizer = TokenReviewVerifierTest.NoRetries.class)
class TokenReviewVerifierTest {
    private static final String PATH = "/apis/authentication.k8s.io/v1/tokenreviews";

    KubernetesMockServer server;
    KubernetesClient client;

    /** A failed request fails at once instead of being retried with backoff. */
    public static final class NoRetries implements Consumer<KubernetesClientBuilder> {
        @Override
        public void accept(KubernetesClientBuilder builder) {
            builder.editOrNewConfig().withRequestRetryBackoffLimit(0).endConfig();
        }
    }

    @Test
    void anAuthenticatedServiceAccountTokenIsThatWorkload() throws Exception {
        server.expect().post().withPath(PATH)
                .andReturn(201, review(true, null, "system:serviceaccount:shop:reviews", "remora")).once();

        CredentialVerifier.Workload workload = new TokenReviewVerifier(client).verify("the-token");

        assertThat(workload).isEqualTo(new CredentialVerifier.Workload("shop", "reviews"));
        RecordedRequest request = server.takeRequest(5, TimeUnit.SECONDS);
        TokenReview sent = Serialization.unmarshal(request.getBody().readUtf8(),
                TokenReview.class);
        assertThat(sent.getSpec().getToken()).isEqualTo("the-token");
        assertThat(sent.getSpec().getAudiences()).containsExactly("remora");
    }

    @Test
    void configuredAudiencesAreAskedFor() throws Exception {
        server.expect().post().withPath(PATH)
                .andReturn(201, review(true, null, "system:serviceaccount:shop:web", "mesh")).once();

        assertThat(new TokenReviewVerifier(client, List.of("remora", "mesh")).verify("t").serviceAccount())
                .isEqualTo("web");
        TokenReview sent = Serialization.unmarshal(
                server.takeRequest(5, TimeUnit.SECONDS).getBody().readUtf8(), TokenReview.class);
        assertThat(sent.getSpec().getAudiences()).containsExactly("remora", "mesh");
    }

    @Test
    void aTokenTheApiDoesNotAuthenticateIsRefusedWithItsReason() {
        server.expect().post().withPath(PATH)
                .andReturn(201, review(false, "[invalid bearer token, token has been invalidated]", null)).once();

        assertThatThrownBy(() -> new TokenReviewVerifier(client).verify("stale"))
                .isInstanceOf(CredentialVerifier.Refused.class)
                .hasMessage("token not authenticated by the Kubernetes API: "
                        + "[invalid bearer token, token has been invalidated]");
    }

    @Test
    void aUserThatIsNotAServiceAccountIsRefused() {
        server.expect().post().withPath(PATH)
                .andReturn(201, review(true, null, "jane@example.com", "remora")).once();

        assertThatThrownBy(() -> new TokenReviewVerifier(client).verify("users-token"))
                .isInstanceOf(CredentialVerifier.Refused.class)
                .hasMessageContaining("user jane@example.com, not a service account");
    }

    @Test
    void aTokenForTheApiServersOwnAudienceIsRefused() {
        server.expect().post().withPath(PATH)
                .andReturn(201, review(true, null, "system:serviceaccount:shop:reviews")).once();

        assertThatThrownBy(() -> new TokenReviewVerifier(client).verify("default-token"))
                .isInstanceOf(CredentialVerifier.Refused.class)
                .hasMessageContaining("not for audience remora");
    }

    @Test
    void anApiServerErrorIsRefusedWithTheStatus() {
        server.expect().post().withPath(PATH).andReturn(500, new StatusBuilder().withStatus("Failure")
                .withCode(500).withMessage("etcdserver: request timed out").build()).once();

        assertThatThrownBy(() -> new TokenReviewVerifier(client).verify("t"))
                .isInstanceOf(CredentialVerifier.Refused.class)
                // The caller hears that the review failed; what the API answered is for the control plane's log.
                .hasMessage("token review failed: the Kubernetes API could not check it")
                .satisfies(e -> assertThat(((CredentialVerifier.Refused) e).detail())
                        .contains("the Kubernetes API answered 500: etcdserver: request timed out"));
    }

    @Test
    void anUnreachableApiIsRefused() {
        Config config = new ConfigBuilder(Config.empty()).withMasterUrl("http://127.0.0.1:1")
                .withRequestRetryBackoffLimit(0).build();
        try (KubernetesClient unreachable = new KubernetesClientBuilder().withConfig(config).build()) {
            assertThatThrownBy(() -> new TokenReviewVerifier(unreachable).verify("t"))
                    .isInstanceOf(CredentialVerifier.Refused.class)
                    .hasMessage("token review failed: the Kubernetes API could not check it")
                    .satisfies(e -> assertThat(((CredentialVerifier.Refused) e).detail())
                            .contains("the Kubernetes API is unreachable: "));
        }
    }

    @Test
    void serviceAccountUserNamesAreParsedStrictly() {
        assertThat(TokenReviewVerifier.serviceAccount("system:serviceaccount:a:b"))
                .isEqualTo(new CredentialVerifier.Workload("a", "b"));
        assertThat(TokenReviewVerifier.serviceAccount("system:serviceaccount:a")).isNull();
        assertThat(TokenReviewVerifier.serviceAccount("system:serviceaccount:a:b:c")).isNull();
        assertThat(TokenReviewVerifier.serviceAccount("system:serviceaccount::b")).isNull();
        assertThat(TokenReviewVerifier.serviceAccount("system:node:worker-1")).isNull();
        assertThat(TokenReviewVerifier.serviceAccount(null)).isNull();
    }

    private static TokenReview review(boolean authenticated, String error, String username, String... audiences) {
        TokenReviewBuilder builder = new TokenReviewBuilder();
        var status = builder.withNewStatus().withAuthenticated(authenticated).withError(error)
                .withAudiences(audiences);
        if (username != null) {
            status.withNewUser().withUsername(username).withGroups("system:serviceaccounts").endUser();
        }
        return status.endStatus().build();
    }
}
