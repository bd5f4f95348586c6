package io.remora.controlplane.kubernetes;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.remora.log.Log;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Keeps the mesh's trust bundle in every namespace that takes sidecars, as Istio keeps {@code istio-ca-root-cert}:
 * a ConfigMap {@code remora-ca-root-cert} with key {@code root-cert.pem}, which injected pods mount as their
 * control plane's trust anchor. A namespace counts when it is labelled {@code remora.io/inject=enabled}.
 *
 * <p>It writes when a namespace is labelled and re-checks every namespace each interval, so a ConfigMap that was
 * deleted or edited comes back and a rotated root (a new {@code root.pem} in the CA directory) reaches every
 * namespace. The writes happen on its own thread, never in an informer callback; a failure is logged and retried
 * at the next check.
 */
public final class CaRootConfigMaps implements AutoCloseable {
    public static final String NAME = "remora-ca-root-cert";
    public static final String KEY = "root-cert.pem";
    public static final String INJECT_LABEL = "remora.io/inject";
    public static final String INJECT_ENABLED = "enabled";

    private final KubernetesClient client;
    private final Path rootPem;
    private final ScheduledExecutorService worker;
    private final SharedIndexInformer<Namespace> namespaces;

    /**
     * @param rootPem the CA directory's {@code root.pem} (every root sidecars should trust)
     * @param every   how often every namespace is checked again
     */
    public CaRootConfigMaps(KubernetesClient client, Path rootPem, Duration every) {
        this.client = Objects.requireNonNull(client, "client");
        this.rootPem = Objects.requireNonNull(rootPem, "rootPem");
        this.worker = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "remora-ca-configmaps");
            t.setDaemon(true);
            return t;
        });
        this.namespaces = client.namespaces().withLabel(INJECT_LABEL, INJECT_ENABLED).runnableInformer(0);
        namespaces.addEventHandler(new ResourceEventHandler<>() {
            @Override
            public void onAdd(Namespace ns) {
                worker.execute(() -> ensure(ns.getMetadata().getName()));
            }

            @Override
            public void onUpdate(Namespace before, Namespace after) {
            }

            @Override
            public void onDelete(Namespace ns, boolean unknownFinalState) {
            }
        });
        namespaces.start();
        worker.scheduleWithFixedDelay(this::ensureAll, every.toMillis(), every.toMillis(), TimeUnit.MILLISECONDS);
    }

    private void ensureAll() {
        for (Namespace ns : namespaces.getStore().list()) {
            ensure(ns.getMetadata().getName());
        }
    }

    /** Creates or corrects the ConfigMap of {@code namespace}; logs what it did or why it could not. */
    private void ensure(String namespace) {
        String pem;
        try {
            pem = Files.readString(rootPem, StandardCharsets.US_ASCII);
        } catch (IOException e) {
            Log.warn("ca_root_configmap_failed", "namespace", namespace, "error",
                    rootPem + ": cannot read the trust bundle: " + e.getMessage());
            return;
        }
        try {
            ConfigMap current = client.configMaps().inNamespace(namespace).withName(NAME).get();
            if (current != null && current.getData() != null && pem.equals(current.getData().get(KEY))) {
                return;
            }
            ConfigMap wanted = new ConfigMapBuilder()
                    .withNewMetadata().withName(NAME).withNamespace(namespace)
                    .withResourceVersion(current == null ? null : current.getMetadata().getResourceVersion())
                    .addToLabels("app.kubernetes.io/managed-by", "remora-control-plane").endMetadata()
                    .withData(Map.of(KEY, pem))
                    .build();
            if (current == null) {
                client.configMaps().inNamespace(namespace).resource(wanted).create();
            } else {
                client.configMaps().inNamespace(namespace).resource(wanted).update();
            }
            Log.info("ca_root_configmap_written", "namespace", namespace, "name", NAME,
                    "action", current == null ? "created" : "updated");
        } catch (KubernetesClientException e) {
            Log.warn("ca_root_configmap_failed", "namespace", namespace, "error",
                    "the Kubernetes API answered " + e.getCode() + ": " + e.getMessage());
        }
    }

    @Override
    public void close() {
        namespaces.close();
        worker.shutdownNow();
    }
}
