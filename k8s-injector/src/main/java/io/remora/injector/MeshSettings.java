package io.remora.injector;

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
 */
public record MeshSettings(String version, String image, String imagePullPolicy, String controlPlaneAddress,
                           Duration drainTime, String logLevel, Resources resources, boolean nativeSidecar,
                           boolean rewriteAppProbes) {
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
    }

    /** The defaults for {@code version}: image {@code remora:<version>}, the control plane in remora-system. */
    public static MeshSettings defaults(String version) {
        return new MeshSettings(version, "remora:" + version, "IfNotPresent", DEFAULT_CONTROL_PLANE,
                DEFAULT_DRAIN_TIME, "info", Resources.PROXY_DEFAULT, true, true);
    }

    public MeshSettings withImage(String image, String pullPolicy) {
        return new MeshSettings(version, image, pullPolicy, controlPlaneAddress, drainTime, logLevel, resources,
                nativeSidecar, rewriteAppProbes);
    }

    public MeshSettings withControlPlaneAddress(String address) {
        return new MeshSettings(version, image, imagePullPolicy, address, drainTime, logLevel, resources,
                nativeSidecar, rewriteAppProbes);
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
