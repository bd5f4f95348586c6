package io.remora.controlplane.mesh;

/**
 * What one sidecar gets: the YAML documents it needs and their content version. Value-equal: a sidecar whose
 * snapshot did not change between two mesh states is not pushed to.
 */
public record ProxySnapshot(String version, String resources, int resourceCount) {
}
