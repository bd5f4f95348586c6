package io.remora.proxy.controlplane;

import io.remora.config.ConfigError;
import io.remora.config.ConfigException;
import io.remora.config.ConfigLoader;
import io.remora.config.Sidecar;
import io.remora.config.Snapshot;

import java.util.List;
import java.util.Map;

/**
 * Resources from the control plane (pushed, or kept as the last-known-good) turned into the snapshot the proxy
 * runs: checked by the same loader and validator as config files, so errors read {@code source:line:col: path:
 * message}, then paired with the proxy's own Sidecar (keeping the validator's mesh index). No environment overrides apply: they are for the Sidecar,
 * which the control plane does not send.
 */
final class ControlPlaneResources {
    private ControlPlaneResources() {
    }

    /**
     * @param source  the name errors carry ({@code control-plane <version>}, or the last-known-good file)
     * @param version the snapshot's version
     * @throws ConfigException every error found; a Sidecar among the resources is one
     */
    static Snapshot snapshot(String source, String version, String yaml, Sidecar sidecar) throws ConfigException {
        Snapshot parsed = ConfigLoader.parse(source, yaml, Map.of());
        if (parsed.sidecar() != null) {
            throw new ConfigException(List.of(new ConfigError(source, 0, 0, "kind", "got a Sidecar, expected only"
                    + " Service, Route and AuthorizationPolicy: a sidecar's Sidecar comes from its own files")));
        }
        return parsed.with(version, sidecar);
    }
}
