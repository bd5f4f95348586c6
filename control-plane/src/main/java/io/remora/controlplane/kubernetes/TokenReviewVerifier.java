package io.remora.controlplane.kubernetes;

import io.fabric8.kubernetes.api.model.authentication.TokenReview;
import io.fabric8.kubernetes.api.model.authentication.TokenReviewBuilder;
import io.fabric8.kubernetes.api.model.authentication.TokenReviewStatus;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.remora.controlplane.ca.CredentialVerifier;

import java.util.List;
import java.util.Objects;

/**
 * Proves a workload's identity with the Kubernetes API: the sidecar sends its pod's projected service-account token
 * (audience {@code remora}), and a TokenReview ({@code authentication.k8s.io/v1}) asks the API server whether it
 * signed it, for whom, and for which audience. The API server is the only party that can answer for a token, so
 * the CA never has to hold the cluster's signing keys, and a token stops working as soon as its pod is gone.
 *
 * <p>The workload is the namespace and service account of the token's user,
 * {@code system:serviceaccount:<namespace>:<service account>}. Refused: a token the API does not authenticate (with
 * its reason), a token for another audience (a token for the API server itself would let anything that can read a
 * pod's default token impersonate it), a user that is not a service account, and any failure to ask.
 */
public final class TokenReviewVerifier implements CredentialVerifier {
    /** The audience sidecars request for their projected token. */
    public static final List<String> DEFAULT_AUDIENCES = List.of("remora");

    private static final String SERVICE_ACCOUNT_PREFIX = "system:serviceaccount:";

    private final KubernetesClient client;
    private final List<String> audiences;

    /**
     * @param client    its credentials need {@code create} on {@code tokenreviews}; not closed by this verifier
     * @param audiences accepted audiences of the token, at least one
     */
    public TokenReviewVerifier(KubernetesClient client, List<String> audiences) {
        this.client = Objects.requireNonNull(client, "client");
        this.audiences = List.copyOf(audiences);
        if (this.audiences.isEmpty()) {
            throw new IllegalArgumentException("at least one audience is needed; an empty list would accept tokens"
                    + " meant for the API server itself");
        }
    }

    /** Accepts tokens for the audience {@code remora}. */
    public TokenReviewVerifier(KubernetesClient client) {
        this(client, DEFAULT_AUDIENCES);
    }

    @Override
    public Workload verify(String token) throws Refused {
        TokenReview request = new TokenReviewBuilder()
                .withNewSpec().withToken(token).withAudiences(audiences).endSpec()
                .build();
        TokenReview review;
        try {
            review = client.authentication().v1().tokenReviews().create(request);
        } catch (KubernetesClientException e) {
            throw new Refused("token review failed: the Kubernetes API could not check it", failure(e), e);
        }
        TokenReviewStatus status = review == null ? null : review.getStatus();
        if (status == null) {
            throw new Refused("token review failed: the Kubernetes API answered without a status");
        }
        if (!Boolean.TRUE.equals(status.getAuthenticated())) {
            String error = status.getError() == null || status.getError().isBlank()
                    ? "no reason given" : status.getError();
            throw new Refused("token not authenticated by the Kubernetes API: " + error);
        }
        List<String> granted = status.getAudiences() == null ? List.of() : status.getAudiences();
        if (granted.stream().noneMatch(audiences::contains)) {
            throw new Refused("token is not for audience " + String.join(", ", audiences) + " (the Kubernetes API"
                    + " accepted it for " + (granted.isEmpty() ? "its own audience only" : String.join(", ", granted))
                    + "); mount a projected service-account token with that audience");
        }
        String username = status.getUser() == null ? null : status.getUser().getUsername();
        Workload workload = serviceAccount(username);
        if (workload == null) {
            throw new Refused("token belongs to " + (username == null ? "no user" : "user " + username)
                    + ", not a service account (expected system:serviceaccount:<namespace>:<name>)");
        }
        return workload;
    }

    /** The workload of {@code system:serviceaccount:<ns>:<sa>}; null for any other user name. */
    static Workload serviceAccount(String username) {
        if (username == null || !username.startsWith(SERVICE_ACCOUNT_PREFIX)) {
            return null;
        }
        String[] parts = username.substring(SERVICE_ACCOUNT_PREFIX.length()).split(":", -1);
        if (parts.length != 2 || parts[0].isEmpty() || parts[1].isEmpty()) {
            return null;
        }
        return new Workload(parts[0], parts[1]);
    }

    private static String failure(KubernetesClientException e) {
        if (e.getCode() > 0) {
            String message = e.getStatus() != null && e.getStatus().getMessage() != null
                    ? e.getStatus().getMessage() : e.getMessage();
            return "the Kubernetes API answered " + e.getCode() + ": " + message;
        }
        Throwable cause = e.getCause() != null ? e.getCause() : e;
        return "the Kubernetes API is unreachable: " + cause;
    }
}
