package io.remora.controlplane.kubernetes;

import org.assertj.core.api.InstanceOfAssertFactories;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The manifests in {@code deploy/kubernetes} parse, and say what the code expects: the CRDs are the kinds and plurals
 * {@link KubernetesSource} watches, with a status subresource for its reports; the control plane's role allows
 * exactly what it does.
 */
class KubernetesManifestsTest {

    @Test
    @SuppressWarnings("unchecked")
    void theCrdsAreTheKindsTheSourceWatches() throws IOException {
        List<Map<String, Object>> crds = documents("crds.yaml");

        assertThat(crds).hasSize(MeshCrd.values().length);
        for (MeshCrd crd : MeshCrd.values()) {
            Map<String, Object> document = crds.stream()
                    .filter(d -> crd.crdName().equals(get(d, "metadata", "name")))
                    .findFirst().orElseThrow(() -> new AssertionError("no CRD " + crd.crdName()));
            assertThat(document).containsEntry("apiVersion", "apiextensions.k8s.io/v1")
                    .containsEntry("kind", "CustomResourceDefinition");
            assertThat(get(document, "spec", "group")).isEqualTo(MeshCrd.GROUP);
            assertThat(get(document, "spec", "scope")).isEqualTo("Namespaced");
            assertThat(get(document, "spec", "names", "kind")).isEqualTo(crd.kind());
            assertThat(get(document, "spec", "names", "plural")).isEqualTo(crd.plural());
            List<Map<String, Object>> versions = maps(get(document, "spec", "versions"));
            assertThat(versions).singleElement().satisfies(v -> {
                assertThat(v).containsEntry("name", MeshCrd.VERSION).containsEntry("served", true)
                        .containsEntry("storage", true);
                assertThat(get(v, "subresources", "status")).isEqualTo(Map.of());
                // The spec's schema is the model's: typed and closed, so kubectl explain shows the fields and the
                // API server flags a misspelled one.
                Map<String, Object> spec = new java.util.LinkedHashMap<>(
                        (Map<String, Object>) get(v, "schema", "openAPIV3Schema", "properties", "spec"));
                assertThat(spec.remove("description")).isNotNull();
                Map<String, Object> expected = io.remora.config.CrdSchemas.of(specOf(crd));
                assertThat(spec).as("the spec schema of %s in deploy/kubernetes/crds.yaml is stale; replace it"
                        + " (keeping its description) with:%n%s", crd.crdName(), yaml(expected)).isEqualTo(expected);
                assertThat(get(v, "schema", "openAPIV3Schema", "properties", "status", "properties", "conditions",
                        "items", "properties")).asInstanceOf(InstanceOfAssertFactories.MAP)
                        .containsKeys("type", "status", "reason", "message", "observedGeneration",
                                "lastTransitionTime");
            });
        }
        Map<String, Object> services = crds.stream()
                .filter(d -> "services.remora.io".equals(get(d, "metadata", "name"))).findFirst().orElseThrow();
        assertThat(list(get(services, "spec", "names", "shortNames"))).containsExactly("rsvc");
    }

    @Test
    void theControlPlaneManifestAllowsWhatTheControlPlaneDoes() throws IOException {
        List<Map<String, Object>> documents = documents("control-plane.yaml");

        assertThat(documents).extracting(d -> d.get("kind")).containsExactly("Namespace", "ServiceAccount",
                "ClusterRole", "ClusterRoleBinding", "Deployment", "Service", "PodDisruptionBudget");
        Map<String, Object> role = ofKind(documents, "ClusterRole");
        List<Map<String, Object>> rules = maps(role.get("rules"));
        assertAllowed(rules, "", "services", "get", "list", "watch");
        assertAllowed(rules, "", "pods", "get", "list", "watch");
        assertAllowed(rules, "discovery.k8s.io", "endpointslices", "get", "list", "watch");
        for (MeshCrd crd : MeshCrd.values()) {
            assertAllowed(rules, MeshCrd.GROUP, crd.plural(), "get", "list", "watch");
            assertAllowed(rules, MeshCrd.GROUP, crd.plural() + "/status", "get", "update", "patch");
        }
        assertAllowed(rules, "authentication.k8s.io", "tokenreviews", "create");
        assertAllowed(rules, "", "namespaces", "get", "list", "watch");
        assertAllowed(rules, "", "configmaps", "get", "create", "update");

        Map<String, Object> binding = ofKind(documents, "ClusterRoleBinding");
        assertThat(get(binding, "roleRef", "name")).isEqualTo(get(role, "metadata", "name"));
        Map<String, Object> subject = maps(binding.get("subjects")).get(0);
        assertThat(subject).containsEntry("name", "remora-control-plane").containsEntry("namespace", "remora-system");

        Map<String, Object> deployment = ofKind(documents, "Deployment");
        assertThat(get(deployment, "spec", "replicas")).isEqualTo(2);
        assertThat(get(deployment, "spec", "template", "spec", "serviceAccountName")).isEqualTo("remora-control-plane");
        Map<String, Object> container = maps(get(deployment, "spec", "template", "spec", "containers")).get(0);
        assertThat(container).containsEntry("image", "remora:latest");
        assertThat(list(container.get("args")))
                .containsExactly("control-plane", "--kubernetes", "--ca-dir", "/etc/remora/ca");
        assertThat(get(container, "readinessProbe", "httpGet")).isEqualTo(Map.of("path", "/healthz/ready",
                "port", 15014));
        assertThat(get(container, "resources", "requests")).asInstanceOf(
                InstanceOfAssertFactories.MAP).containsKeys("cpu", "memory");
        Map<String, Object> caMount = maps(container.get("volumeMounts")).stream()
                .filter(m -> "/etc/remora/ca".equals(m.get("mountPath"))).findFirst().orElseThrow();
        Map<String, Object> caVolume = maps(get(deployment, "spec", "template", "spec", "volumes")).stream()
                .filter(v -> Objects.equals(v.get("name"), caMount.get("name"))).findFirst().orElseThrow();
        assertThat(get(caVolume, "secret", "secretName")).isEqualTo("remora-ca");

        Map<String, Object> service = ofKind(documents, "Service");
        assertThat(maps(get(service, "spec", "ports"))).extracting(p -> p.get("port")).containsExactly(15010, 15014);
        assertThat(get(service, "spec", "selector"))
                .isEqualTo(get(deployment, "spec", "selector", "matchLabels"));
    }

    private static Class<? extends Record> specOf(MeshCrd crd) {
        return switch (crd) {
            case SERVICE -> io.remora.config.Service.Spec.class;
            case ROUTE -> io.remora.config.Route.Spec.class;
            case AUTHORIZATION_POLICY -> io.remora.config.AuthorizationPolicy.Spec.class;
        };
    }

    private static String yaml(Object value) {
        org.yaml.snakeyaml.DumperOptions o = new org.yaml.snakeyaml.DumperOptions();
        o.setDefaultFlowStyle(org.yaml.snakeyaml.DumperOptions.FlowStyle.BLOCK);
        return new org.yaml.snakeyaml.Yaml(o).dump(value);
    }

    private static void assertAllowed(List<Map<String, Object>> rules, String group, String resource,
                                      String... verbs) {
        for (String verb : verbs) {
            assertThat(rules).as("%s %s/%s", verb, group, resource).anySatisfy(rule -> {
                assertThat(list(rule.get("apiGroups"))).contains(group);
                assertThat(list(rule.get("resources"))).contains(resource);
                assertThat(list(rule.get("verbs"))).contains(verb);
            });
        }
    }

    private static Map<String, Object> ofKind(List<Map<String, Object>> documents, String kind) {
        return documents.stream().filter(d -> kind.equals(d.get("kind"))).findFirst().orElseThrow();
    }

    /** Every document of a manifest, each a mapping (an empty or non-mapping document fails the test). */
    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> documents(String file) throws IOException {
        List<Map<String, Object>> documents = new ArrayList<>();
        try (Reader reader = Files.newBufferedReader(MockCluster.deployDir().resolve(file))) {
            for (Object document : new Yaml().loadAll(reader)) {
                assertThat(document).as("a document of %s", file).isInstanceOf(Map.class);
                documents.add((Map<String, Object>) document);
            }
        }
        return documents;
    }

    private static Object get(Object node, String... path) {
        Object current = node;
        for (String key : path) {
            if (!(current instanceof Map<?, ?> map)) {
                return null;
            }
            current = map.get(key);
        }
        return current;
    }

    @SuppressWarnings("unchecked")
    private static <T> List<T> list(Object value) {
        assertThat(value).isInstanceOf(List.class);
        return (List<T>) value;
    }

    /** A list of mappings (rules, containers, ports...). */
    private static List<Map<String, Object>> maps(Object value) {
        return list(value);
    }
}
