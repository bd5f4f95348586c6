package io.remora.protocol;

/**
 * A sidecar asks for its workload certificate. The credential travels in the {@code authorization} header
 * ({@code Bearer <token>}), never in the message; the identity is decided from it, not from the CSR.
 *
 * @param csr PEM PKCS#10 request for the sidecar's own key pair
 */
public record CertificateRequest(String csr) {
}
