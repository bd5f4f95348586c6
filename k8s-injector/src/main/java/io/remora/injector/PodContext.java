package io.remora.injector;

import java.util.Map;

/**
 * What the injector knows about a pod besides the pod: its namespace (an admission request names it, a pod template
 * may not), the namespace's labels, and the owning workload's name when the caller knows it (a Deployment's name for
 * its template), else null and it is derived from the pod.
 */
public record PodContext(String namespace, Map<String, String> namespaceLabels, String workload) {
    public PodContext {
        namespace = namespace == null ? "" : namespace;
        namespaceLabels = namespaceLabels == null ? Map.of() : Map.copyOf(namespaceLabels);
    }

    /**
     * A pod whose namespace counts as opted in: the webhook's namespace/object selectors already let only opted-in
     * pods through, and {@code remora inject} injects what it is given. The pod's own {@code remora.io/inject:
     * "false"} still wins.
     */
    public static PodContext optedIn(String namespace, String workload) {
        return new PodContext(namespace, Map.of(Annotations.INJECT, "enabled"), workload);
    }
}
