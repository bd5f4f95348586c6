package io.remora.protocol;

/**
 * Sidecar to control plane, on the subscription stream. The first carries {@link #node} and the version the
 * sidecar runs (from its last-known-good, or empty); every later one answers a {@link DiscoveryResponse}: an ACK
 * names the version now running and the response's nonce, a NACK names the response's nonce, the version still
 * running, and {@link #error}.
 *
 * @param node    the first request's only: who this is and what it needs
 * @param version the version the sidecar runs after handling the response
 * @param nonce   the nonce of the response answered; empty on the first request
 * @param error   null for an ACK (or the first request); the reason the snapshot was refused for a NACK
 */
public record DiscoveryRequest(Node node, String version, String nonce, Error error) {
    /** Why a snapshot was refused. */
    public enum Reason {
        /** the resources did not pass the sidecar's validator */
        INVALID_CONFIG,
        /**
         * valid resources the running sidecar could not apply. Kept for compatibility: Remora's sidecars never send
         * it for resources their validator accepts, since they apply exactly what the validator indexed
         */
        APPLY_FAILED,
        /** the message could not be read */
        DECODE_FAILED
    }

    /** @param detail what was wrong, as the validator or the proxy said it */
    public record Error(Reason reason, String detail) {
    }

    public static DiscoveryRequest hello(Node node, String runningVersion) {
        return new DiscoveryRequest(node, runningVersion == null ? "" : runningVersion, "", null);
    }

    public static DiscoveryRequest ack(String version, String nonce) {
        return new DiscoveryRequest(null, version, nonce, null);
    }

    public static DiscoveryRequest nack(String runningVersion, String nonce, Reason reason, String detail) {
        return new DiscoveryRequest(null, runningVersion, nonce, new Error(reason, detail));
    }

    public boolean isNack() {
        return error != null;
    }
}
