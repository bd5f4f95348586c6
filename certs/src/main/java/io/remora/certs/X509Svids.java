package io.remora.certs;

import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/** The X.509-SVID rules (SPIFFE X509-SVID specification §4-5) applied to one certificate. */
public final class X509Svids {
    static final String EKU_SERVER_AUTH = "1.3.6.1.5.5.7.3.1";
    static final String EKU_CLIENT_AUTH = "1.3.6.1.5.5.7.3.2";
    private static final int SAN_URI = 6;
    private static final int KEY_USAGE_DIGITAL_SIGNATURE = 0;
    private static final int KEY_USAGE_CERT_SIGN = 5;

    private X509Svids() {
    }

    /** The URI SANs of a certificate. */
    public static List<String> uriSans(X509Certificate cert) {
        List<String> uris = new ArrayList<>();
        try {
            Collection<List<?>> sans = cert.getSubjectAlternativeNames();
            if (sans != null) {
                for (List<?> san : sans) {
                    if (((Integer) san.get(0)) == SAN_URI) {
                        uris.add((String) san.get(1));
                    }
                }
            }
        } catch (CertificateParsingException e) {
            return List.of();
        }
        return uris;
    }

    /**
     * The SPIFFE ID of a leaf SVID, after checking the leaf rules: exactly one URI SAN, a {@code spiffe://} ID with
     * a path, not a CA, digital signature in its key usage and no certificate signing.
     */
    public static SpiffeId leafId(X509Certificate leaf) throws SvidException {
        List<String> uris = uriSans(leaf);
        if (uris.size() != 1) {
            throw new SvidException(SvidException.Reason.NOT_AN_SVID, "the leaf has " + uris.size()
                    + " URI SANs, an X.509-SVID has exactly one (" + leaf.getSubjectX500Principal() + ")");
        }
        SpiffeId id;
        try {
            id = SpiffeId.parse(uris.get(0));
        } catch (IllegalArgumentException e) {
            throw new SvidException(SvidException.Reason.NOT_AN_SVID, e.getMessage());
        }
        if (id.path().isEmpty()) {
            throw new SvidException(SvidException.Reason.NOT_AN_SVID,
                    "the leaf's SPIFFE ID " + id + " names a trust domain, not a workload");
        }
        if (leaf.getBasicConstraints() >= 0) {
            throw new SvidException(SvidException.Reason.NOT_AN_SVID, "the leaf " + id + " is a CA certificate");
        }
        boolean[] usage = leaf.getKeyUsage();
        if (usage == null || !usage[KEY_USAGE_DIGITAL_SIGNATURE] || usage.length > KEY_USAGE_CERT_SIGN
                && usage[KEY_USAGE_CERT_SIGN]) {
            throw new SvidException(SvidException.Reason.NOT_AN_SVID,
                    "the leaf " + id + " must have key usage digitalSignature and not keyCertSign");
        }
        return id;
    }
}
