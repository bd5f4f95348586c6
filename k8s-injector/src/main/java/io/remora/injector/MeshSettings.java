package io.remora.injector;

import io.remora.config.Sidecar;

import java.time.Duration;
import java.util.Objects;

/**
 * What the mesh decides for every injected pod (the per-pod annotations of {@link PodOverrides} may change the
 * defaults): the image both injected containers run, where the control plane is, and the proxy's defaults.
 *
 * @param version             the Remora version written into {@code remora.io/status} (and the image's default tag)
 * @param image               image of {@code remora-init} and {@code remora-proxy}, e.g. {@code remora:0.1.0}
 * @param imagePullPolicy     {@code IfNotPresent}, {@code Always} or {@code Never}
 * @param controlPlaneAddress the control plane's push and CA address, host:port
 * @param drainTime           how long a stopping proxy keeps serving inbound requests (annotation
 *                            {@code remora.io/drain-time})
 * @param logLevel            the proxy's log level (annotation {@code remora.io/log-level})
 * @param resources           the proxy container's requests and limits (annotations {@code remora.io/proxy-*})
 * @param nativeSidecar       the proxy as a native sidecar (an init container with {@code restartPolicy: Always},
 *                            Kubernetes 1.29+), else as the first container (annotation
 *                            {@code remora.io/native-sidecar})
 * @param rewriteAppProbes    rewrite app probes to the proxy's health port (annotation
 *                            {@code remora.io/rewrite-app-probers})
 * @param tracing             where the proxies send their spans and how many requests start a trace (annotations
 *                            {@code remora.io/tracing-collector}, {@code remora.io/tracing-sampling})
 */
public record MeshSettings(String version, String image, String imagePullPolicy, String controlPlaneAddress,
                           Duration drainTime, String logLevel, Resources resources, boolean nativeSidecar,
                           boolean rewriteAppProbes, Tracing tracing) {
    public static final String DEFAULT_CONTROL_PLANE = "remora-control-plane.remora-system.svc:15010";
    public static final Duration DEFAULT_DRAIN_TIME = Duration.ofSeconds(5);

    public MeshSettings {
        Objects.requireNonNull(version, "version");
        Objects.requireNonNull(image, "image");
        Objects.requireNonNull(imagePullPolicy, "imagePullPolicy");
        Objects.requireNonNull(controlPlaneAddress, "controlPlaneAddress");
        Objects.requireNonNull(drainTime, "drainTime");
        Objects.requireNonNull(logLevel, "logLevel");
        Objects.requireNonNull(resources, "resources");
        tracing = tracing == null ? Tracing.NONE : tracing;
    }

    /** The defaults for {@code version}: image {@code remora:<version>}, the control plane in remora-system. */
    public static MeshSettings defaults(String version) {
        return new MeshSettings(version, "remora:" + version, "IfNotPresent", DEFAULT_CONTROL_PLANE,
                DEFAULT_DRAIN_TIME, "info", Resources.PROXY_DEFAULT, true, true, Tracing.NONE);
    }

    public MeshSettings withImage(String image, String pullPolicy) {
        return new MeshSettings(version, image, pullPolicy, controlPlaneAddress, drainTime, logLevel, resources,
                nativeSidecar, rewriteAppProbes, tracing);
    }

    public MeshSettings withControlPlaneAddress(String address) {
        return new MeshSettings(version, image, imagePullPolicy, address, drainTime, logLevel, resources,
                nativeSidecar, rewriteAppProbes, tracing);
    }

    public MeshSettings withTracing(Tracing other) {
        return new MeshSettings(version, image, imagePullPolicy, controlPlaneAddress, drainTime, logLevel, resources,
                nativeSidecar, rewriteAppProbes, other);
    }

    /**
     * Tracing for the injected proxies, written as {@code REMORA_TRACING_COLLECTOR} and {@code REMORA_TRACING_SAMPLING}
     * only when set: an unset one leaves the proxy's own default (no collector: tracing off; sampling 1 %).
     *
     * @param collector the OTLP/HTTP collector's URL ({@code http://otel-collector.observability:4318}); null: none
     * @param sampling  percentage 0-100 of requests with no sampling decision that start a trace, as written
     *                  ({@code 1}, {@code 0.5}); null: the proxy's default
     */
    public record Tracing(String collector, String sampling) {
        public static final Tracing NONE = new Tracing(null, null);
        /** What a sampling value must be, as messages say it. */
        public static final String SAMPLING = "a percentage 0-100 like 1 or 0.5";
        private static final java.util.regex.Pattern DECIMAL = java.util.regex.Pattern.compile(
                "[0-9]{1,3}(\\.[0-9]{1,6})?");

        public Tracing {
            if (collector != null && !isCollector(collector)) {
                throw new IllegalArgumentException("tracing collector \"" + collector + "\": expected "
                        + Sidecar.Tracing.COLLECTOR_URL);
            }
            if (sampling != null && !isSampling(sampling)) {
                throw new IllegalArgumentException("tracing sampling \"" + sampling + "\": expected " + SAMPLING);
            }
        }

        /** The config module's one check of a collector URL, so the proxy never refuses what was injected. */
        public static boolean isCollector(String text) {
            return Sidecar.Tracing.isCollectorUrl(text);
        }

        /** A plain decimal from 0 to 100 (no sign, exponent or unit), which the proxy reads as its sampling. */
        public static boolean isSampling(String text) {
            return DECIMAL.matcher(text).matches() && Double.parseDouble(text) <= 100;
        }
    }

    /**
     * A container's requests and limits as Kubernetes quantities; a null limit is not written.
     *
     * @param cpuRequest    e.g. {@code 100m}
     * @param memoryRequest e.g. {@code 64Mi}
     * @param cpuLimit      none by default: a CPU limit throttles the proxy under bursts (as Istio's default)
     * @param memoryLimit   e.g. {@code 128Mi}: the JVM's heap is capped at 64 MiB
     */
    public record Resources(String cpuRequest, String memoryRequest, String cpuLimit, String memoryLimit) {
        public static final Resources PROXY_DEFAULT = new Resources("100m", "64Mi", null, "128Mi");
        /** The interception init container: a short JVM run that writes the packet filter rules. */
        public static final Resources INIT_DEFAULT = new Resources("10m", "64Mi", null, "128Mi");
    }
}
