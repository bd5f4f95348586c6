package io.remora.launcher;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.remora.controlplane.ca.CredentialVerifier;
import io.remora.controlplane.kubernetes.KubernetesSource;
import io.remora.controlplane.kubernetes.TokenReviewVerifier;

import java.time.Clock;

/**
 * The control plane in a cluster: one API client (in-cluster service account, or the kubeconfig outside) for the
 * Kubernetes source and for TokenReview.
 */
record KubernetesMode(KubernetesSource source, CredentialVerifier credentials) {
    static KubernetesMode start(String trustDomain, String namespace, Clock clock) {
        KubernetesClient client = new KubernetesClientBuilder().build();
        return new KubernetesMode(new KubernetesSource(client, trustDomain, namespace, clock),
                new TokenReviewVerifier(client));
    }
}
