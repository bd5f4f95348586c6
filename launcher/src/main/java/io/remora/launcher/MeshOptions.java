package io.remora.launcher;

import io.remora.injector.MeshSettings;
import picocli.CommandLine.Option;

/** The mesh settings {@code remora inject} and {@code remora injector} share: image and control plane. */
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

    /** The settings, or null after printing what is wrong. */
    MeshSettings settings(java.io.PrintWriter err, String command) {
        if (!java.util.Set.of("IfNotPresent", "Always", "Never").contains(imagePullPolicy)) {
            err.println("remora " + command + ": --image-pull-policy " + imagePullPolicy
                    + ": expected IfNotPresent, Always or Never");
            return null;
        }
        MeshSettings d = MeshSettings.defaults(version());
        return d.withImage(image != null ? image : d.image(), imagePullPolicy)
                .withControlPlaneAddress(controlPlaneAddress);
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
