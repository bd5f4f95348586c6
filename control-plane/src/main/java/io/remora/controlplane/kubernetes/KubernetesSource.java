package io.remora.controlplane.kubernetes;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.Informable;
import io.fabric8.kubernetes.client.dsl.MixedOperation;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.remora.config.ConfigError;
import io.remora.controlplane.source.MeshSource;
import io.remora.controlplane.source.SourceContent;
import io.remora.log.Log;

import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.SortedMap;
import java.util.concurrent.CompletableFuture;

/**
 * Mesh resources from the Kubernetes API: the Remora custom objects ({@code services.remora.io},
 * {@code routes.remora.io}, {@code authorizationpolicies.remora.io}) and the cluster's own Services with their
 * EndpointSlices and pods, translated to Remora Services (see {@link ServiceTranslator} for multi-port Services and
 * {@link OriginsBuilder} for a Remora Service object that refines a Kubernetes Service).
 *
 * <p>Informers keep a watched cache of each kind, so a change reaches the control plane as soon as the API server
 * sends it, without polling. Every change asks the source's single thread ({@link CoalescingWorker}) for a rebuild of
 * the whole content from the caches; nothing is delivered before every informer has listed its kind once, since a
 * partial view would reject routes whose services were simply not listed yet (and write that into their status).
 * A rebuild whose bytes equal the last delivery is not delivered: status writes, resyncs and pod churn that change
 * nothing of the mesh cost the control plane nothing. Rejections the control plane reports are written into the
 * objects' status ({@link StatusReporter}).
 */
public final class KubernetesSource implements MeshSource {
    public static final String NAME = "kubernetes";

    private final KubernetesClient client;
    private final String namespace;
    private final OriginsBuilder builder;
    private final CoalescingWorker worker;
    private final StatusReporter statusReporter;
    private final Map<MeshCrd, SharedIndexInformer<GenericKubernetesResource>> objectInformers =
            new EnumMap<>(MeshCrd.class);
    private final List<SharedIndexInformer<?>> informers = new ArrayList<>();
    private SharedIndexInformer<Service> serviceInformer;
    private SharedIndexInformer<EndpointSlice> sliceInformer;
    private SharedIndexInformer<Pod> podInformer;
    private volatile Listener listener;
    private volatile boolean synced;
    private volatile boolean closed;
    /** Only touched on the worker's thread. */
    private SortedMap<String, byte[]> lastDelivered;

    /**
     * @param client      the API client (its credentials need get/list/watch on the watched kinds and update on
     *                    the custom objects' status, see {@code deploy/kubernetes/control-plane.yaml}); not closed
     *                    by this source
     * @param trustDomain the SPIFFE trust domain of endpoint identities, e.g. {@code cluster.local}
     * @param namespace   the only namespace watched, or null for all namespaces
     * @param clock       stamps each content with when its change was seen
     */
    public KubernetesSource(KubernetesClient client, String trustDomain, String namespace, Clock clock) {
        this.client = Objects.requireNonNull(client, "client");
        this.namespace = namespace;
        Objects.requireNonNull(clock, "clock");
        this.builder = new OriginsBuilder(new ServiceTranslator(trustDomain));
        this.worker = new CoalescingWorker("remora-kubernetes-source", clock, this::rebuild);
        this.statusReporter = new StatusReporter(client, clock, this::cachedObject);
    }

    /** The system clock; {@code namespace} null for all namespaces. */
    public KubernetesSource(KubernetesClient client, String trustDomain, String namespace) {
        this(client, trustDomain, namespace, Clock.systemUTC());
    }

    @Override
    public String name() {
        return NAME;
    }

    /**
     * Starts the informers and returns; the first content is delivered once every kind has been listed. An API
     * server that cannot be reached, or a kind it does not serve yet (CRDs not installed), is retried with backoff
     * and logged; the source delivers as soon as all kinds are listed.
     */
    @Override
    public synchronized void start(Listener listener) {
        Objects.requireNonNull(listener, "listener");
        if (this.listener != null) {
            throw new IllegalStateException("kubernetes source already started");
        }
        if (closed) {
            throw new IllegalStateException("kubernetes source closed");
        }
        this.listener = listener;
        ResourceEventHandler<HasMetadata> anyChange = new ChangeHandler<>();
        for (MeshCrd crd : MeshCrd.values()) {
            objectInformers.put(crd, informer(scoped(client.genericKubernetesResources(crd.context())),
                    crd.crdName(), anyChange));
        }
        serviceInformer = informer(scoped(client.services()), "services", anyChange);
        sliceInformer = informer(scoped(client.discovery().v1().endpointSlices()), "endpointslices.discovery.k8s.io",
                anyChange);
        podInformer = informer(scoped(client.pods()), "pods", new PodChangeHandler());
        List<CompletableFuture<Void>> started = new ArrayList<>();
        for (SharedIndexInformer<?> informer : informers) {
            started.add(informer.start().toCompletableFuture());
        }
        Log.info("kubernetes_source_starting", "namespace", namespace == null ? "*" : namespace);
        CompletableFuture.allOf(started.toArray(CompletableFuture[]::new)).whenComplete((v, failure) -> {
            if (failure != null) {
                if (!closed) {
                    Log.error("kubernetes_source_start_failed", failure);
                }
                return;
            }
            synced = true;
            Log.info("kubernetes_source_synced");
            worker.request();
        });
    }

    /** Writes the verdicts into the custom objects' status, on the source's thread, after queued deliveries. */
    @Override
    public void report(Map<String, List<ConfigError>> rejected, Set<String> accepted) {
        Map<String, List<ConfigError>> rejectedCopy = new LinkedHashMap<>(rejected);
        Set<String> acceptedCopy = Set.copyOf(accepted);
        worker.execute(() -> statusReporter.report(rejectedCopy, acceptedCopy));
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (SharedIndexInformer<?> informer : informers) {
            informer.stop();
        }
        worker.close();
        Log.info("kubernetes_source_closed");
    }

    /** On the worker's thread: the whole content from the caches, delivered when it differs from the last one. */
    private void rebuild(Instant changedAt) {
        if (closed || !synced) {
            return;
        }
        Map<MeshCrd, List<GenericKubernetesResource>> objects = new EnumMap<>(MeshCrd.class);
        objectInformers.forEach((crd, informer) -> objects.put(crd, informer.getStore().list()));
        SortedMap<String, byte[]> origins = builder.build(new OriginsBuilder.Inputs(objects,
                serviceInformer.getStore().list(), sliceInformer.getStore().list(),
                (ns, name) -> podInformer.getStore().getByKey(ns + "/" + name)));
        if (lastDelivered != null && sameContent(lastDelivered, origins)) {
            return;
        }
        Log.info("kubernetes_source_changed", "origins", origins.size());
        listener.changed(new SourceContent(NAME, origins, changedAt));
        lastDelivered = origins; // only once delivered: a listener that failed gets the same content again
    }

    private GenericKubernetesResource cachedObject(MeshCrd crd, String ns, String name) {
        SharedIndexInformer<GenericKubernetesResource> informer = objectInformers.get(crd);
        return informer == null ? null : informer.getStore().getByKey(ns + "/" + name);
    }

    private <T extends HasMetadata> Informable<T> scoped(MixedOperation<T, ?, ?> operation) {
        return namespace == null ? operation.inAnyNamespace() : operation.inNamespace(namespace);
    }

    /** An informer (not started) whose failures are logged and retried with the client's backoff. */
    private <T extends HasMetadata> SharedIndexInformer<T> informer(Informable<T> source, String kind,
                                                                   ResourceEventHandler<? super T> handler) {
        SharedIndexInformer<T> informer = source.runnableInformer(0);
        informer.addEventHandler(handler);
        informer.exceptionHandler((isStarted, t) -> {
            if (!closed) {
                Log.warn("kubernetes_watch_failed", "kind", kind, "listed", isStarted,
                        "error", String.valueOf(t.getMessage()));
            }
            return !closed;
        });
        informers.add(informer);
        return informer;
    }

    private static boolean sameContent(Map<String, byte[]> a, Map<String, byte[]> b) {
        if (!a.keySet().equals(b.keySet())) {
            return false;
        }
        for (Map.Entry<String, byte[]> e : a.entrySet()) {
            if (!Arrays.equals(e.getValue(), b.get(e.getKey()))) {
                return false;
            }
        }
        return true;
    }

    /** Any add, update or delete asks for a rebuild. */
    private class ChangeHandler<T> implements ResourceEventHandler<T> {
        @Override
        public void onAdd(T obj) {
            changed();
        }

        @Override
        public void onUpdate(T oldObj, T newObj) {
            changed();
        }

        @Override
        public void onDelete(T obj, boolean deletedFinalStateUnknown) {
            changed();
        }

        final void changed() {
            if (synced) {
                worker.request();
            }
        }
    }

    /**
     * Pods change all the time (status, conditions); only their labels and service account reach the mesh, so only
     * an update of those asks for a rebuild.
     */
    private final class PodChangeHandler extends ChangeHandler<Pod> {
        @Override
        public void onUpdate(Pod oldPod, Pod newPod) {
            if (!Objects.equals(oldPod.getMetadata().getLabels(), newPod.getMetadata().getLabels())
                    || !Objects.equals(serviceAccount(oldPod), serviceAccount(newPod))) {
                changed();
            }
        }

        private static String serviceAccount(Pod pod) {
            return pod.getSpec() == null ? null : pod.getSpec().getServiceAccountName();
        }
    }
}
