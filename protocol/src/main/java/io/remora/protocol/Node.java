package io.remora.protocol;

import java.util.List;

/**
 * Who a subscribing sidecar is and what it needs; sent in the first request of a subscription.
 *
 * <p>{@link #version} and {@link #metrics} are what the control plane's dashboard shows and scrapes. A sidecar that
 * predates them sends neither: they are read as null and the sidecar is served as before, only not scraped (the JSON
 * marshaller leaves nulls out and ignores fields it does not know, so both directions of a mixed rollout work).
 *
 * @param namespace the sidecar's namespace; must be the namespace of its certificate's SPIFFE ID
 * @param workload  its workload name (which AuthorizationPolicies select it)
 * @param calls     the services it calls by name ({@code name.namespace}); null when it may call any service
 *                  (transparent capture)
 * @param version   its version label (Istio's canonical revision: {@code service.istio.io/canonical-revision}, else
 *                  {@code app.kubernetes.io/version}, else {@code version}, else {@code latest}), as its metrics
 *                  label it; null when not told
 * @param metrics   {@code host:port} where it serves {@code /stats/prometheus}, as bound; a wildcard host
 *                  ({@code 0.0.0.0}, {@code [::]}) stands for its address as the control plane sees the stream come
 *                  from (a pod's IP, as Prometheus reaches it); null when not told
 */
public record Node(String namespace, String workload, List<String> calls, String version, String metrics) {
    public Node {
        calls = calls == null ? null : List.copyOf(calls);
    }

    /** A hello that says nothing of its version or metrics (the form of sidecars before them). */
    public Node(String namespace, String workload, List<String> calls) {
        this(namespace, workload, calls, null, null);
    }
}
