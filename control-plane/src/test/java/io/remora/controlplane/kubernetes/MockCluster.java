package io.remora.controlplane.kubernetes;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.ServicePortBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointPortBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.remora.controlplane.source.MeshSource;
import io.remora.controlplane.source.SourceContent;
import org.yaml.snakeyaml.Yaml;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;

import static org.assertj.core.api.Assertions.fail;

/**
 * A fabric8 mock API server in CRUD mode (the test class's {@code @EnableKubernetesMockClient(crud = true)}) with
 * Remora's CRDs installed from {@code deploy/kubernetes/crds.yaml}, plus builders for the objects the tests create and
 * a listener that collects deliveries.
 */
public final class MockCluster {
    static final Duration WAIT = Duration.ofSeconds(10);

    final KubernetesClient client;

    public MockCluster(KubernetesClient client) throws IOException {
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

    /** A Remora custom object from YAML text of its spec. */
    public GenericKubernetesResource create(MeshCrd crd, String namespace, String name, String specYaml) {
        return client.genericKubernetesResources(crd.context()).inNamespace(namespace)
                .resource(object(crd, namespace, name, specYaml)).create();
    }

    public GenericKubernetesResource update(MeshCrd crd, String namespace, String name, String specYaml) {
        return client.genericKubernetesResources(crd.context()).inNamespace(namespace).withName(name)
                .edit(o -> {
                    GenericKubernetesResource copy = object(crd, namespace, name, specYaml);
                    copy.setMetadata(o.getMetadata());
                    return copy;
                });
    }

    void delete(MeshCrd crd, String namespace, String name) {
        client.genericKubernetesResources(crd.context()).inNamespace(namespace).withName(name).delete();
    }

    public GenericKubernetesResource get(MeshCrd crd, String namespace, String name) {
        return client.genericKubernetesResources(crd.context()).inNamespace(namespace).withName(name).get();
    }

    /** The object's status condition of {@code type}, or null when it has none. */
    @SuppressWarnings("unchecked")
    public static Map<String, Object> condition(GenericKubernetesResource object, String type) {
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

    static Service service(String namespace, String name, String clusterIp, ServicePort... ports) {
        return new ServiceBuilder()
                .withNewMetadata().withName(name).withNamespace(namespace).addToLabels("app", name).endMetadata()
                .withNewSpec()
                .addToSelector("app", name)
                .withClusterIP(clusterIp)
                .withPorts(ports)
                .endSpec()
                .build();
    }

    static ServicePort port(String name, int port) {
        return new ServicePortBuilder().withName(name).withPort(port).withProtocol("TCP")
                .withTargetPort(new IntOrString(port)).build();
    }

    /** A pod the injector gave a sidecar: it carries the tlsMode label, so it gets an identity. */
    static Pod injectedPod(String namespace, String name, String serviceAccount, Map<String, String> labels) {
        Map<String, String> all = new java.util.HashMap<>(labels);
        all.put(ServiceTranslator.TLS_MODE_LABEL, ServiceTranslator.TLS_MODE_SIDECAR);
        return pod(namespace, name, serviceAccount, all);
    }

    /** A plain pod (no sidecar). */
    static Pod pod(String namespace, String name, String serviceAccount, Map<String, String> labels) {
        return new PodBuilder()
                .withNewMetadata().withName(name).withNamespace(namespace).withLabels(labels).endMetadata()
                .withNewSpec().withServiceAccountName(serviceAccount)
                .addNewContainer().withName("app").withImage("app:1").endContainer()
                .endSpec()
                .build();
    }

    /** One slice of {@code service} with ready endpoints {@code ip → pod name} on port {@code portName:port}. */
    static EndpointSlice slice(String namespace, String service, String sliceName, String portName, int port,
                               Map<String, String> ipToPod) {
        EndpointSliceBuilder builder = new EndpointSliceBuilder()
                .withNewMetadata().withName(sliceName).withNamespace(namespace)
                .addToLabels(ServiceTranslator.SERVICE_NAME_LABEL, service).endMetadata()
                .withAddressType("IPv4")
                .withPorts(new EndpointPortBuilder().withName(portName).withPort(port).withProtocol("TCP").build());
        ipToPod.forEach((ip, pod) -> builder.addToEndpoints(new EndpointBuilder()
                .withAddresses(ip)
                .withNewConditions().withReady(true).endConditions()
                .withNewTargetRef().withKind("Pod").withName(pod).withNamespace(namespace).endTargetRef()
                .build()));
        return builder.build();
    }

    /** Collects what a source delivers, and checks no two deliveries overlap. */
    static final class Deliveries implements MeshSource.Listener {
        private final BlockingQueue<SourceContent> queue = new LinkedBlockingQueue<>();
        private final AtomicInteger inFlight = new AtomicInteger();
        private final List<String> threads = new CopyOnWriteArrayList<>();
        volatile boolean overlapped;

        @Override
        public void changed(SourceContent content) {
            if (inFlight.incrementAndGet() > 1) {
                overlapped = true;
            }
            threads.add(Thread.currentThread().getName());
            queue.add(content);
            inFlight.decrementAndGet();
        }

        /** The first delivery (waiting at most {@link #WAIT}) that satisfies {@code condition}. */
        SourceContent until(String what, Predicate<SourceContent> condition) throws InterruptedException {
            long deadline = System.nanoTime() + WAIT.toNanos();
            List<SourceContent> seen = new ArrayList<>();
            while (true) {
                long left = deadline - System.nanoTime();
                SourceContent content = left <= 0 ? null : queue.poll(left, TimeUnit.NANOSECONDS);
                if (content == null) {
                    return fail("no delivery with " + what + " within " + WAIT + "; saw " + seen.size()
                            + " other(s), last origins: "
                            + (seen.isEmpty() ? "none" : describe(seen.get(seen.size() - 1))));
                }
                if (condition.test(content)) {
                    return content;
                }
                seen.add(content);
            }
        }

        private static String describe(SourceContent content) {
            StringBuilder sb = new StringBuilder();
            content.origins().forEach((origin, bytes) -> sb.append("\n# ").append(origin).append('\n')
                    .append(new String(bytes, StandardCharsets.UTF_8)));
            return sb.toString();
        }

        /** Names of the threads deliveries came on. */
        List<String> threads() {
            return threads;
        }
    }
}
