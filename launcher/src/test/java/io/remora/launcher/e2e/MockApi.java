package io.remora.launcher.e2e;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.remora.controlplane.kubernetes.MeshCrd;
import org.yaml.snakeyaml.Yaml;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * fabric8's mock API server in CRUD mode (the test class's {@code @EnableKubernetesMockClient(crud = true)}) with
 * Remora's CRDs installed from {@code deploy/kubernetes/crds.yaml}, and the Remora custom objects written as
 * {@link GenericKubernetesResource}s from YAML text of their spec. A copy of the few helpers of the control plane's
 * {@code MockCluster} (package-private in that module's tests) these tests need.
 */
final class MockApi {
    final KubernetesClient client;

    /** Installs the CRDs. */
    MockApi(KubernetesClient client) throws IOException {
        this.client = client;
        try (InputStream crds = Files.newInputStream(deployDir().resolve("crds.yaml"))) {
            for (HasMetadata crd : client.load(crds).items()) {
                client.resource(crd).create();
            }
        }
    }

    /** {@code deploy/kubernetes} of the repository, found from the module's directory. */
    static Path deployDir() {
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            Path candidate = dir.resolve("deploy/kubernetes");
            if (Files.isDirectory(candidate)) {
                return candidate;
            }
        }
        throw new IllegalStateException("deploy/kubernetes not found above " + Path.of("").toAbsolutePath());
    }

    GenericKubernetesResource create(MeshCrd crd, String namespace, String name, String specYaml) {
        return client.genericKubernetesResources(crd.context()).inNamespace(namespace)
                .resource(object(crd, namespace, name, specYaml)).create();
    }

    /** Replaces the object's spec (its metadata, status aside, kept). */
    GenericKubernetesResource update(MeshCrd crd, String namespace, String name, String specYaml) {
        return client.genericKubernetesResources(crd.context()).inNamespace(namespace).withName(name)
                .edit(o -> {
                    GenericKubernetesResource copy = object(crd, namespace, name, specYaml);
                    copy.setMetadata(o.getMetadata());
                    return copy;
                });
    }

    GenericKubernetesResource get(MeshCrd crd, String namespace, String name) {
        return client.genericKubernetesResources(crd.context()).inNamespace(namespace).withName(name).get();
    }

    /** The object's status condition of {@code type}, or null when it has none. */
    @SuppressWarnings("unchecked")
    static Map<String, Object> condition(GenericKubernetesResource object, String type) {
        Object status = object == null ? null : object.getAdditionalProperties().get("status");
        if (status instanceof Map<?, ?> s && s.get("conditions") instanceof List<?> conditions) {
            for (Object c : conditions) {
                if (c instanceof Map<?, ?> m && type.equals(m.get("type"))) {
                    return (Map<String, Object>) m;
                }
            }
        }
        return null;
    }

    static GenericKubernetesResource object(MeshCrd crd, String namespace, String name, String specYaml) {
        GenericKubernetesResource object = new GenericKubernetesResource();
        object.setApiVersion(MeshCrd.API_VERSION);
        object.setKind(crd.kind());
        object.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace(namespace).build());
        Map<String, Object> properties = new LinkedHashMap<>();
        properties.put("spec", new Yaml().load(specYaml));
        object.setAdditionalProperties(properties);
        return object;
    }
}
