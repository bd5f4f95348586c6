package io.remora.certs;

import java.util.Locale;

/** A peer's certificate chain was not accepted; {@link #reason()} is the label metrics count it under. */
public final class SvidException extends Exception {
    /** Why a chain was refused. */
    public enum Reason {
        /** The peer sent no certificate. */
        NO_CERTIFICATE,
        /** A certificate of the chain is past its notAfter. */
        EXPIRED,
        /** A certificate of the chain is before its notBefore. */
        NOT_YET_VALID,
        /** The chain does not lead to a root of the trust bundle. */
        UNTRUSTED,
        /** The leaf is not an X.509-SVID (no or several URI SANs, a CA, wrong key usage...). */
        NOT_AN_SVID,
        /** The SVID belongs to another trust domain. */
        WRONG_TRUST_DOMAIN,
        /** The SVID is valid but not the identity this connection expected. */
        WRONG_IDENTITY;

        private final String label = name().toLowerCase(Locale.ROOT);

        public String label() {
            return label;
        }
    }

    private final Reason reason;

    public SvidException(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
