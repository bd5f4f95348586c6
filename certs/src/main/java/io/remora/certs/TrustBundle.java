package io.remora.certs;

import java.security.InvalidAlgorithmParameterException;
import java.security.NoSuchAlgorithmException;
import java.security.cert.CertPath;
import java.security.cert.CertPathValidator;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The roots a trust domain's SVIDs chain to. It may hold several, so a new root can be added before leaves signed
 * by it appear and the old one removed after the last of its leaves expired (root rotation without an outage).
 * Verifying a peer's chain yields its SPIFFE ID or an {@link SvidException} whose reason metrics count.
 */
public final class TrustBundle {
    private final String trustDomain;
    private final List<X509Certificate> roots;
    private final Set<TrustAnchor> anchors;

    public TrustBundle(String trustDomain, List<X509Certificate> roots) {
        SpiffeId.trustDomainId(trustDomain);
        if (roots.isEmpty()) {
            throw new CertificateException("a trust bundle needs at least one root");
        }
        this.trustDomain = trustDomain;
        this.roots = List.copyOf(roots);
        Set<TrustAnchor> a = new HashSet<>();
        for (X509Certificate root : roots) {
            a.add(new TrustAnchor(root, null));
        }
        this.anchors = Set.copyOf(a);
    }

    /** A bundle read from PEM roots; the trust domain is taken from the first root's URI SAN. */
    public static TrustBundle of(String source, List<X509Certificate> roots) {
        for (X509Certificate root : roots) {
            if (root.getBasicConstraints() < 0) {
                throw new CertificateException(source + ": " + root.getSubjectX500Principal()
                        + " is not a CA certificate, a trust bundle holds roots");
            }
        }
        List<String> uris = X509Svids.uriSans(roots.get(0));
        if (uris.size() != 1) {
            throw new CertificateException(source + ": the root needs one URI SAN spiffe://<trust-domain>");
        }
        return new TrustBundle(SpiffeId.parse(uris.get(0)).trustDomain(), roots);
    }

    public String trustDomain() {
        return trustDomain;
    }

    public List<X509Certificate> roots() {
        return roots;
    }

    /**
     * Checks a peer's chain (leaf first) at {@code now}: it leads to one of the roots, every certificate is
     * within its validity, and the leaf is an X.509-SVID of this trust domain.
     *
     * @return the peer's SPIFFE ID
     */
    public SpiffeId verify(List<X509Certificate> chain, Instant now) throws SvidException {
        if (chain == null || chain.isEmpty()) {
            throw new SvidException(SvidException.Reason.NO_CERTIFICATE, "the peer sent no certificate");
        }
        for (X509Certificate c : chain) {
            if (now.isAfter(c.getNotAfter().toInstant())) {
                throw new SvidException(SvidException.Reason.EXPIRED, describe(c) + " expired at "
                        + c.getNotAfter().toInstant() + " (now " + now + ")");
            }
            if (now.isBefore(c.getNotBefore().toInstant())) {
                throw new SvidException(SvidException.Reason.NOT_YET_VALID, describe(c) + " is valid only from "
                        + c.getNotBefore().toInstant() + " (now " + now + ")");
            }
        }
        SpiffeId id = X509Svids.leafId(chain.get(0));
        if (!id.trustDomain().equals(trustDomain)) {
            throw new SvidException(SvidException.Reason.WRONG_TRUST_DOMAIN,
                    id + " is not in trust domain " + trustDomain);
        }
        List<X509Certificate> path = new ArrayList<>(chain);
        // A peer may send the root too; PKIX wants the path without its anchor.
        path.removeIf(c -> c.getSubjectX500Principal().equals(c.getIssuerX500Principal()));
        try {
            CertPath certPath = CertificateFactory.getInstance("X.509").generateCertPath(path);
            PKIXParameters params = new PKIXParameters(anchors);
            params.setRevocationEnabled(false);
            params.setDate(Date.from(now));
            CertPathValidator.getInstance("PKIX").validate(certPath, params);
        } catch (CertPathValidatorException e) {
            throw new SvidException(SvidException.Reason.UNTRUSTED, id + " does not chain to a root of "
                    + trustDomain + ": " + e.getMessage());
        } catch (java.security.cert.CertificateException | NoSuchAlgorithmException
                 | InvalidAlgorithmParameterException e) {
            throw new SvidException(SvidException.Reason.UNTRUSTED, "cannot validate " + id + ": " + e.getMessage());
        }
        return id;
    }

    private static String describe(X509Certificate c) {
        List<String> uris = X509Svids.uriSans(c);
        return uris.size() == 1 ? uris.get(0) : c.getSubjectX500Principal().toString();
    }
}
