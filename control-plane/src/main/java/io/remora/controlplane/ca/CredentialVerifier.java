package io.remora.controlplane.ca;

/**
 * Decides which workload a credential stands for. The CA service signs a CSR only for the identity this returns;
 * what the CSR asks for is ignored.
 */
public interface CredentialVerifier {
    /** The workload a credential proves: its namespace and service account. */
    record Workload(String namespace, String serviceAccount) {
    }

    /**
     * Refused credential. The message is the reason the caller is told (an unauthenticated peer: nothing about the
     * control plane's files, counts or API); {@link #detail()} adds what only the control plane's log should say.
     */
    final class Refused extends Exception {
        private final String detail;

        public Refused(String reason) {
            this(reason, (String) null);
        }

        /** @param detail for the log only (a file, a count, an API error); null when the reason says it all */
        public Refused(String reason, String detail) {
            super(reason);
            this.detail = detail;
        }

        public Refused(String reason, String detail, Throwable cause) {
            super(reason, cause);
            this.detail = detail;
        }

        /** The reason with the details for the control plane's log. */
        public String detail() {
            return detail == null ? getMessage() : getMessage() + " (" + detail + ")";
        }
    }

    /**
     * @param token the bearer token the sidecar sent (never null or empty; a missing one is refused earlier)
     * @throws Refused when the token proves no workload, saying why
     */
    Workload verify(String token) throws Refused;
}
