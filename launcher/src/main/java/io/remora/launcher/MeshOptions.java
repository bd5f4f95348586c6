package io.remora.launcher;

import io.remora.injector.MeshSettings;
import picocli.CommandLine.Option;

/** The mesh settings {@code remora inject} and {@code remora injector} share: image, control plane, tracing. */
final class MeshOptions {
    @Option(names = "--image", paramLabel = "IMAGE", description = "Image of the injected containers (default:"
            + " remora:<version>).")
    String image;

    @Option(names = "--image-pull-policy", defaultValue = "IfNotPresent", description = "IfNotPresent, Always or"
            + " Never (default: ${DEFAULT-VALUE}).")
    String imagePullPolicy;

    @Option(names = "--control-plane-address", paramLabel = "HOST:PORT",
            defaultValue = MeshSettings.DEFAULT_CONTROL_PLANE, description = "The control plane's push and CA"
            + " address the sidecars dial (default: ${DEFAULT-VALUE}).")
    String controlPlaneAddress;

    @Option(names = "--tracing-collector", paramLabel = "URL", description = "The OTLP/HTTP collector every injected"
            + " proxy sends its spans to, e.g. http://otel-collector.observability:4318 (default: none, tracing off);"
            + " a pod's remora.io/tracing-collector annotation overrides it.")
    String tracingCollector;

    @Option(names = "--tracing-sampling", paramLabel = "PERCENT", description = "Percentage 0-100 of requests with"
            + " no sampling decision that start a trace (default: the proxy's, 1); a pod's remora.io/tracing-sampling"
            + " annotation overrides it.")
    String tracingSampling;

    /** The settings, or null after printing what is wrong. */
    MeshSettings settings(java.io.PrintWriter err, String command) {
        if (!java.util.Set.of("IfNotPresent", "Always", "Never").contains(imagePullPolicy)) {
            err.println("remora " + command + ": --image-pull-policy " + imagePullPolicy
                    + ": expected IfNotPresent, Always or Never");
            return null;
        }
        if (tracingCollector != null && !MeshSettings.Tracing.isCollector(tracingCollector)) {
            err.println("remora " + command + ": --tracing-collector " + tracingCollector + ": expected "
                    + io.remora.config.Sidecar.Tracing.COLLECTOR_URL);
            return null;
        }
        if (tracingSampling != null && !MeshSettings.Tracing.isSampling(tracingSampling)) {
            err.println("remora " + command + ": --tracing-sampling " + tracingSampling + ": expected "
                    + MeshSettings.Tracing.SAMPLING);
            return null;
        }
        MeshSettings d = MeshSettings.defaults(version());
        return d.withImage(image != null ? image : d.image(), imagePullPolicy)
                .withControlPlaneAddress(controlPlaneAddress)
                .withTracing(new MeshSettings.Tracing(tracingCollector, tracingSampling));
    }

    /** The version the launcher was built as (the image tag): the one {@code remora --version} prints. */
    static String version() {
        try {
            return Remora.Version.version();
        } catch (java.io.IOException e) {
            return "unknown";
        }
    }
}
