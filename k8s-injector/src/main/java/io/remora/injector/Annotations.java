package io.remora.injector;

/** The labels and annotations the injector reads and writes, in one place. */
public final class Annotations {
    /** Label on a namespace ({@code enabled}) or a pod ({@code "true"}/{@code "false"}, which wins). */
    public static final String INJECT = "remora.io/inject";
    /** What injection did (JSON), or why it did not. */
    public static final String STATUS = "remora.io/status";
    public static final String NATIVE_SIDECAR = "remora.io/native-sidecar";
    public static final String REWRITE_APP_PROBERS = "remora.io/rewrite-app-probers";
    public static final String PROXY_CPU = "remora.io/proxy-cpu";
    public static final String PROXY_MEMORY = "remora.io/proxy-memory";
    public static final String PROXY_CPU_LIMIT = "remora.io/proxy-cpu-limit";
    public static final String PROXY_MEMORY_LIMIT = "remora.io/proxy-memory-limit";
    public static final String LOG_LEVEL = "remora.io/log-level";
    public static final String DRAIN_TIME = "remora.io/drain-time";
    public static final String EXCLUDE_INBOUND_PORTS = "remora.io/exclude-inbound-ports";
    public static final String EXCLUDE_OUTBOUND_PORTS = "remora.io/exclude-outbound-ports";
    public static final String EXCLUDE_OUTBOUND_CIDRS = "remora.io/exclude-outbound-cidrs";
    public static final String INCLUDE_OUTBOUND_CIDRS = "remora.io/include-outbound-cidrs";
    public static final String TRACING_COLLECTOR = "remora.io/tracing-collector";
    public static final String TRACING_SAMPLING = "remora.io/tracing-sampling";
    /** The proxy's I/O transport ({@code io-uring}, {@code epoll}, {@code nio}, {@code auto}): REMORA_TRANSPORT. */
    public static final String TRANSPORT = "remora.io/transport";

    /** Label on injected pods: the control plane gives their endpoints an identity, so callers use mTLS. */
    public static final String TLS_MODE = "security.remora.io/tlsMode";
    public static final String TLS_MODE_VALUE = "remora";
    public static final String DEFAULT_CONTAINER = "kubectl.kubernetes.io/default-container";
    public static final String PROMETHEUS_SCRAPE = "prometheus.io/scrape";
    public static final String PROMETHEUS_PORT = "prometheus.io/port";
    public static final String PROMETHEUS_PATH = "prometheus.io/path";

    private Annotations() {
    }
}
