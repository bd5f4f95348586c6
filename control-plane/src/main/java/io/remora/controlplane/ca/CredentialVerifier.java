package io.remora.controlplane.ca;

/**
 * Decides which workload a credential stands for. The CA service signs a CSR only for the identity this returns;
 * what the CSR asks for is ignored.
 */
public interface CredentialVerifier {
    /** The workload a credential proves: its namespace and service account. */
    record Workload(String namespace, String serviceAccount) {
    }

    /** Refused credential, with a reason fit for both logs (control plane and sidecar). */
    final class Refused extends Exception {
        public Refused(String reason) {
            super(reason);
        }

        public Refused(String reason, Throwable cause) {
            super(reason, cause);
        }
    }

    /**
     * @param token the bearer token the sidecar sent (never null or empty; a missing one is refused earlier)
     * @throws Refused when the token proves no workload, saying why
     */
    Workload verify(String token) throws Refused;
}
