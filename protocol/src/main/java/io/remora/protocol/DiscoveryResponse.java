package io.remora.protocol;

/**
 * Control plane to sidecar: the whole config this sidecar needs (state of the world), replacing what it had.
 *
 * @param version   content version of {@link #resources}; equal versions are equal configs
 * @param nonce     unique per response, echoed by the ACK or NACK that answers it
 * @param resources YAML documents (Service, Route, AuthorizationPolicy) in the schema of config files, validated
 *                  by the sidecar with the same validator before it applies them
 */
public record DiscoveryResponse(String version, String nonce, String resources) {
}
