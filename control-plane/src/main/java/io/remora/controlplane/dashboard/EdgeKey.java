package io.remora.controlplane.dashboard;

import io.remora.controlplane.stats.PrometheusText;

/**
 * One edge of the request graph: a source workload calling a version of a service. Read from the sidecars' Istio
 * request metrics: the source's own report ({@code reporter="source"}) for every caller with a sidecar, and the
 * destination's report only for callers without one ({@code source_workload="unknown"}), so a request between two
 * sidecars is counted once.
 *
 * @param service the service key ({@code hello.demo}), from {@code destination_service}'s cluster name
 * @param version {@code destination_version}: what the answering sidecar told ({@code unknown} when none answered)
 */
record EdgeKey(String source, String sourceNamespace, String service, String version) {
    private static final String CLUSTER_SUFFIX = ".svc.cluster.local";
    private static final String UNKNOWN = "unknown";

    /** The edge a sample counts for; null when it is not one to count (see the class comment). */
    static EdgeKey of(PrometheusText.Sample s) {
        String reporter = s.label("reporter");
        String source = orUnknown(s.label("source_workload"));
        boolean counted = reporter.equals("source") || reporter.equals("destination") && source.equals(UNKNOWN);
        if (!counted) {
            return null;
        }
        String service = orUnknown(s.label("destination_service"));
        if (service.endsWith(CLUSTER_SUFFIX)) {
            service = service.substring(0, service.length() - CLUSTER_SUFFIX.length());
        }
        return new EdgeKey(source, orUnknown(s.label("source_workload_namespace")), service,
                orUnknown(s.label("destination_version")));
    }

    private static String orUnknown(String v) {
        return v.isEmpty() ? UNKNOWN : v;
    }
}
