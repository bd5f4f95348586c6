package io.remora.certs;

/** A certificate, key, CSR or PEM file that cannot be used, with a message that says why (and which file). */
public final class CertificateException extends RuntimeException {
    public CertificateException(String message) {
        super(message);
    }

    public CertificateException(String message, Throwable cause) {
        super(message, cause);
    }
}
