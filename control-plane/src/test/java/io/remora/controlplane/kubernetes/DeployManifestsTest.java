package io.remora.controlplane.kubernetes;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.MutatingWebhook;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.MutatingWebhookConfiguration;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every manifest in {@code deploy/kubernetes} checked offline against the Kubernetes API's own types (fabric8's
 * model, generated from the API's OpenAPI): each document binds to its kind's class, and no field is left over as
 * unknown (a misspelled or misplaced field would be; kubectl would warn about it or the API server drop it). Kinds of
 * other APIs (the Prometheus Operator's) are only parsed. Then what the webhook and the deployments promise.
 */
class DeployManifestsTest {
    private static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();

    private static List<HasMetadata> all() throws IOException {
        List<HasMetadata> documents = new ArrayList<>();
        try (Stream<Path> files = Files.list(MockCluster.deployDir())) {
            for (Path f : files.filter(p -> p.toString().endsWith(".yaml")).sorted().toList()) {
                for (String doc : Files.readString(f).split("(?m)^---\\s*$")) {
                    if (doc.lines().anyMatch(l -> l.startsWith("kind:"))) {
                        HasMetadata resource = SERIALIZATION.unmarshal(doc, HasMetadata.class);
                        assertThat(resource).as("%s: a document of kind %s", f.getFileName(), resource.getKind())
                                .isNotNull();
                        documents.add(resource);
                    }
                }
            }
        }
        return documents;
    }

    @Test
    void everyDocumentIsOfAKnownKindWithNoUnknownField() throws Exception {
        List<HasMetadata> documents = all();
        assertThat(documents).hasSizeGreaterThan(10);
        for (HasMetadata d : documents) {
            boolean foreign = d.getApiVersion().startsWith("monitoring.coreos.com/");
            if (foreign) {
                assertThat(d).isInstanceOf(GenericKubernetesResource.class);
                continue;
            }
            assertThat(d).as("%s %s binds to the API's type", d.getKind(), d.getMetadata().getName())
                    .isNotInstanceOf(GenericKubernetesResource.class);
            List<String> unknown = new ArrayList<>();
            unknownFields(d, d.getKind() + "/" + d.getMetadata().getName(), unknown, new IdentityHashMap<>());
            assertThat(unknown).as("fields the Kubernetes API does not know").isEmpty();
        }
    }

    @Test
    void onlyOptedInPodsWaitOnTheWebhookAndNoneGoesWithoutItsSidecar() throws Exception {
        MutatingWebhookConfiguration config = all().stream().filter(MutatingWebhookConfiguration.class::isInstance)
                .map(MutatingWebhookConfiguration.class::cast).findFirst().orElseThrow();
        assertThat(config.getMetadata().getName()).isEqualTo("remora-sidecar-injector");
        assertThat(config.getWebhooks()).hasSize(2).allSatisfy(w -> {
            assertThat(w.getFailurePolicy()).isEqualTo("Fail");
            assertThat(w.getSideEffects()).isEqualTo("None");
            assertThat(w.getTimeoutSeconds()).isLessThanOrEqualTo(10);
            assertThat(w.getAdmissionReviewVersions()).containsExactly("v1");
            assertThat(w.getClientConfig().getService().getName()).isEqualTo("remora-injector");
            assertThat(w.getClientConfig().getService().getPath()).isEqualTo("/inject");
            assertThat(w.getNamespaceSelector().getMatchExpressions()).anySatisfy(e -> {
                assertThat(e.getKey()).isEqualTo("kubernetes.io/metadata.name");
                assertThat(e.getValues()).contains("kube-system", "remora-system");
            });
        });
        MutatingWebhook byNamespace = config.getWebhooks().get(0);
        assertThat(byNamespace.getObjectSelector().getMatchExpressions().get(0).getValues()).containsExactly("false");
        MutatingWebhook byPod = config.getWebhooks().get(1);
        assertThat(byPod.getObjectSelector().getMatchExpressions().get(0).getValues()).containsExactly("true");
    }

    @Test
    void everyDeploymentHasTwoReplicasSpreadAndADisruptionBudget() throws Exception {
        List<HasMetadata> documents = all();
        List<Deployment> deployments = documents.stream().filter(Deployment.class::isInstance)
                .map(Deployment.class::cast).toList();
        assertThat(deployments).extracting(d -> d.getMetadata().getName())
                .containsExactlyInAnyOrder("remora-control-plane", "remora-injector");
        for (Deployment d : deployments) {
            assertThat(d.getSpec().getReplicas()).isEqualTo(2);
            assertThat(d.getSpec().getTemplate().getSpec().getAffinity().getPodAntiAffinity()).isNotNull();
            assertThat(documents).filteredOn(PodDisruptionBudget.class::isInstance)
                    .anySatisfy(p -> assertThat(p.getMetadata().getName()).isEqualTo(d.getMetadata().getName()));
        }
    }

    /** Walks the model: any non-empty {@code additionalProperties} is a field the API's type does not have. */
    private static void unknownFields(Object node, String path, List<String> unknown, Map<Object, Boolean> seen)
            throws Exception {
        if (node == null || seen.put(node, true) != null) {
            return;
        }
        if (node instanceof Collection<?> c) {
            int i = 0;
            for (Object o : c) {
                unknownFields(o, path + "[" + i++ + "]", unknown, seen);
            }
            return;
        }
        if (node instanceof Map<?, ?> m) {
            for (Map.Entry<?, ?> e : m.entrySet()) {
                unknownFields(e.getValue(), path + "." + e.getKey(), unknown, seen);
            }
            return;
        }
        if (!node.getClass().getName().startsWith("io.fabric8.kubernetes.api.model")) {
            return;
        }
        for (Method m : node.getClass().getMethods()) {
            if (m.getParameterCount() != 0 || !m.getName().startsWith("get") || m.getName().equals("getClass")) {
                continue;
            }
            Object value = m.invoke(node);
            if (m.getName().equals("getAdditionalProperties")) {
                if (value instanceof Map<?, ?> extra && !extra.isEmpty()) {
                    unknown.add(path + ": " + extra.keySet());
                }
                continue;
            }
            unknownFields(value, path + "." + m.getName().substring(3), unknown, seen);
        }
    }
}
