package io.remora.launcher;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.remora.controlplane.ca.CredentialVerifier;
import io.remora.controlplane.kubernetes.CaRootConfigMaps;
import io.remora.controlplane.kubernetes.KubernetesSource;
import io.remora.controlplane.kubernetes.TokenReviewVerifier;

import java.time.Clock;

/**
 * The control plane in a cluster: one API client (in-cluster service account, or the kubeconfig outside) for the
 * Kubernetes source and for TokenReview.
 */
record KubernetesMode(KubernetesClient client, KubernetesSource source, CredentialVerifier credentials) {
    static KubernetesMode start(String trustDomain, String namespace, Clock clock) {
        KubernetesClient client = new KubernetesClientBuilder().build();
        return new KubernetesMode(client, new KubernetesSource(client, trustDomain, namespace, clock),
                new TokenReviewVerifier(client));
    }

    /** Keeps {@code rootPem} in the {@code remora-ca-root-cert} ConfigMap of every injected namespace. */
    CaRootConfigMaps publishTrustBundle(java.nio.file.Path rootPem) {
        return new CaRootConfigMaps(client, rootPem, java.time.Duration.ofSeconds(30));
    }
}
