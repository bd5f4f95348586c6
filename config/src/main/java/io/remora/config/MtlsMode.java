package io.remora.config;

/** What the inbound listener accepts from other sidecars (Istio's PeerAuthentication modes). */
public enum MtlsMode {
    /** Mutual TLS only: plaintext and TLS without a valid client SVID are refused. */
    STRICT,
    /** Mutual TLS or plaintext on the same port, told apart by the first bytes; plaintext is counted. */
    PERMISSIVE,
    /** No mutual TLS: inbound and outbound traffic stays as the app sends it. */
    DISABLE
}
