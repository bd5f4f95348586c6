package io.remora.proxy.controlplane;

import io.remora.protocol.CertificateResponse;

/**
 * Gets the workload's certificate signed: the control plane's CA service in production, a stand-in in unit tests.
 * The identity is the signer's decision (from the workload's credential), never the CSR's.
 */
@FunctionalInterface
public interface CertificateSigner {
    /**
     * @param csrPem a PEM PKCS#10 request for the workload's new key pair
     * @return the certificate chain (leaf first) and the trust bundle, as PEM
     * @throws Failure when no certificate came back, saying whether the signer refused or could not be asked
     */
    CertificateResponse sign(String csrPem) throws Failure;

    /** No certificate: {@link #refused} when the control plane said no (bad credential, bad CSR), else unreachable. */
    final class Failure extends Exception {
        private final boolean refused;

        private Failure(boolean refused, String reason, Throwable cause) {
            super(reason, cause);
            this.refused = refused;
        }

        /** The control plane answered and refused, with {@code reason} as it gave it. */
        public static Failure refused(String reason) {
            return new Failure(true, reason, null);
        }

        /** The control plane could not be asked or gave no usable answer. */
        public static Failure failed(String reason, Throwable cause) {
            return new Failure(false, reason, cause);
        }

        public boolean refused() {
            return refused;
        }
    }
}
