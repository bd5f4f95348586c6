package io.remora.proxy.metrics;

import java.util.Map;

/**
 * What Istio's metrics say of one side of a request: its workload, namespace, app and version. The app and version
 * follow Istio's canonical-service rules: the {@code service.istio.io/canonical-name} label, else
 * {@code app.kubernetes.io/name}, else {@code app}, else the workload name; the
 * {@code service.istio.io/canonical-revision} label, else {@code app.kubernetes.io/version}, else {@code version},
 * else {@code latest}. Every value is a label value of at most 63 characters of {@code A-Z a-z 0-9 . _ -} or
 * {@code unknown}, so a peer cannot grow the metrics without bound.
 */
public record WorkloadLabels(String workload, String namespace, String app, String version) {
    public static final String UNKNOWN = "unknown";
    public static final WorkloadLabels NONE = new WorkloadLabels(UNKNOWN, UNKNOWN, UNKNOWN, UNKNOWN);

    public WorkloadLabels {
        workload = bounded(workload);
        namespace = bounded(namespace);
        app = bounded(app);
        version = bounded(version);
    }

    /** A workload's labels from its name, namespace and Kubernetes-style labels. */
    public static WorkloadLabels of(String workload, String namespace, Map<String, String> labels) {
        String app = first(labels, "service.istio.io/canonical-name", "app.kubernetes.io/name", "app");
        String version = first(labels, "service.istio.io/canonical-revision", "app.kubernetes.io/version",
                "version");
        return new WorkloadLabels(workload, namespace, app != null ? app : workload,
                version != null ? version : "latest");
    }

    /** A peer of which only the namespace is known (from its verified SPIFFE ID). */
    public static WorkloadLabels namespaceOnly(String namespace) {
        return namespace == null ? NONE : new WorkloadLabels(UNKNOWN, namespace, UNKNOWN, UNKNOWN);
    }

    private static String first(Map<String, String> labels, String... keys) {
        for (String k : keys) {
            String v = labels.get(k);
            if (v != null && !v.isEmpty()) {
                return v;
            }
        }
        return null;
    }

    // Written out rather than the record's generated ones: a peer's labels are part of the key of every request's
    // meters, and the generated methods run through a method-handle chain the JIT did not fold (1.4 % of an mTLS
    // sidecar's CPU in a profile). The strings cache their own hashes.
    @Override
    public int hashCode() {
        int h = workload.hashCode();
        h = 31 * h + namespace.hashCode();
        h = 31 * h + app.hashCode();
        return 31 * h + version.hashCode();
    }

    @Override
    public boolean equals(Object o) {
        return o == this || o instanceof WorkloadLabels w && workload.equals(w.workload)
                && namespace.equals(w.namespace) && app.equals(w.app) && version.equals(w.version);
    }

    /** {@code value} when it is a fit label value, else {@code unknown}. */
    public static String bounded(String value) {
        if (value == null || value.isEmpty() || value.length() > 63) {
            return UNKNOWN;
        }
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (!(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_'
                    || c == '-')) {
                return UNKNOWN;
            }
        }
        return value;
    }
}
