package io.remora.controlplane.kubernetes;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import static io.remora.config.testing.Eventually.eventually;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Against the mock API server: a namespace labelled for injection gets the trust bundle ConfigMap at once; one
 * deleted comes back, a rotated root reaches it, and a namespace without the label gets nothing.
 */
@EnableKubernetesMockClient(crud = true)
@Timeout(60)
class CaRootConfigMapsTest {
    KubernetesClient client;
    @TempDir
    Path dir;

    private String data(String namespace) {
        ConfigMap cm = client.configMaps().inNamespace(namespace).withName(CaRootConfigMaps.NAME).get();
        return cm == null ? null : cm.getData().get(CaRootConfigMaps.KEY);
    }

    private void namespace(String name, boolean injected) {
        NamespaceBuilder ns = new NamespaceBuilder().withNewMetadata().withName(name).endMetadata();
        if (injected) {
            ns.editMetadata().addToLabels(CaRootConfigMaps.INJECT_LABEL, CaRootConfigMaps.INJECT_ENABLED).endMetadata();
        }
        client.namespaces().resource(ns.build()).create();
    }

    @Test
    void everyInjectedNamespaceKeepsTheCurrentTrustBundle() throws Exception {
        Path root = Files.writeString(dir.resolve("root.pem"), "-----BEGIN CERTIFICATE-----\nA\n-----END CERTIFICATE-----\n");
        namespace("shop", true);
        namespace("plain", false);
        try (CaRootConfigMaps maps = new CaRootConfigMaps(client, root, Duration.ofMillis(200))) {
            eventually(MockCluster.WAIT, () -> assertThat(data("shop")).isEqualTo(Files.readString(root)));
            namespace("late", true);
            eventually(MockCluster.WAIT, () -> assertThat(data("late")).isEqualTo(Files.readString(root)));

            client.configMaps().inNamespace("shop").withName(CaRootConfigMaps.NAME).delete();
            eventually(MockCluster.WAIT, () -> assertThat(data("shop")).isNotNull());

            Files.writeString(root, Files.readString(root) + "-----BEGIN CERTIFICATE-----\nB\n-----END CERTIFICATE-----\n");
            eventually(MockCluster.WAIT, () -> assertThat(data("shop")).contains("\nB\n"));
            eventually(MockCluster.WAIT, () -> assertThat(data("late")).contains("\nB\n"));
            assertThat(data("plain")).isNull();
        }
    }
}
