package io.remora.protocol;

/**
 * @param certificateChain PEM X.509-SVID, leaf first, then intermediates
 * @param trustBundle      PEM roots of the trust domain (two during a root rotation)
 */
public record CertificateResponse(String certificateChain, String trustBundle) {
}
