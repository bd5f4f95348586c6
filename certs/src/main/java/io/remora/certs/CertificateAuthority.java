package io.remora.certs;

import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.CertIOException;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.operator.jcajce.JcaContentVerifierProviderBuilder;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.bouncycastle.pkcs.PKCSException;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;

import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPublicKey;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;

/**
 * A signing CA of one trust domain: a self-signed root, or an intermediate under one. It issues X.509-SVIDs: the CA
 * decides the SPIFFE ID (a CSR's requested SAN must agree with it, never the other way round), the leaf gets
 * exactly one URI SAN, is not a CA, has key usage digital signature and EKU server and client auth, and never
 * outlives the CA. Time comes from an injected clock; validity starts a minute early to absorb clock skew.
 */
public final class CertificateAuthority {
    /** Leaf lifetime: a day, so a leaked key is short-lived and rotation runs every day. */
    public static final Duration DEFAULT_LEAF_TTL = Duration.ofHours(24);
    /** Root lifetime: ten years; its expiry is exported as a metric long before it matters. */
    public static final Duration DEFAULT_ROOT_TTL = Duration.ofDays(3650);
    /** Intermediate lifetime: one year. */
    public static final Duration DEFAULT_INTERMEDIATE_TTL = Duration.ofDays(365);
    private static final Duration BACKDATE = Duration.ofMinutes(1);
    private static final SecureRandom RANDOM = new SecureRandom();

    private final String trustDomain;
    private final X509Certificate certificate;
    /** The CA's own chain above its certificate, up to and excluding the root (empty for a root). */
    private final List<X509Certificate> parents;
    private final PrivateKey key;
    private final Clock clock;

    private CertificateAuthority(String trustDomain, X509Certificate certificate, List<X509Certificate> parents,
                                 PrivateKey key, Clock clock) {
        this.trustDomain = trustDomain;
        this.certificate = certificate;
        this.parents = List.copyOf(parents);
        this.key = key;
        this.clock = clock;
    }

    /** A new self-signed root for {@code trustDomain} with a fresh P-256 key. */
    public static CertificateAuthority createRoot(String trustDomain, Duration ttl, Clock clock) {
        SpiffeId.trustDomainId(trustDomain);
        KeyPair keys = KeyPairs.ecP256();
        X500Name name = new X500Name("O=Remora,CN=Remora root CA " + trustDomain);
        Instant now = clock.instant();
        X509Certificate cert = caCertificate(name, name, keys.getPublic(), keys.getPrivate(), null, trustDomain,
                now.minus(BACKDATE), now.plus(ttl), -1);
        return new CertificateAuthority(trustDomain, cert, List.of(), keys.getPrivate(), clock);
    }

    /** An intermediate CA signed by this one (it may sign leaves, not further CAs). */
    public CertificateAuthority createIntermediate(Duration ttl) {
        KeyPair keys = KeyPairs.ecP256();
        X500Name name = new X500Name("O=Remora,CN=Remora intermediate CA " + trustDomain + " "
                + Long.toHexString(RANDOM.nextLong()));
        Instant now = clock.instant();
        Instant notAfter = min(now.plus(ttl), certificate.getNotAfter().toInstant());
        X509Certificate cert = caCertificate(name, X500Name.getInstance(
                certificate.getSubjectX500Principal().getEncoded()), keys.getPublic(), key, certificate, trustDomain,
                now.minus(BACKDATE), notAfter, 0);
        // A root is not sent to peers: they have it in their bundle.
        List<X509Certificate> chain = isRoot() ? List.of() : chain();
        return new CertificateAuthority(trustDomain, cert, chain, keys.getPrivate(), clock);
    }

    /** Loads a CA from its certificate chain (its own certificate first) and key. */
    public static CertificateAuthority load(String source, List<X509Certificate> chain, PrivateKey key, Clock clock) {
        X509Certificate cert = chain.get(0);
        if (cert.getBasicConstraints() < 0) {
            throw new CertificateException(source + ": " + cert.getSubjectX500Principal() + " is not a CA certificate");
        }
        if (!KeyPairs.matches(cert.getPublicKey(), key)) {
            throw new CertificateException(source + ": the private key does not match the CA certificate");
        }
        List<String> uris = X509Svids.uriSans(cert);
        if (uris.size() != 1) {
            throw new CertificateException(source + ": a CA certificate needs one URI SAN spiffe://<trust-domain>,"
                    + " found " + uris.size());
        }
        String trustDomain = SpiffeId.parse(uris.get(0)).trustDomain();
        List<X509Certificate> parents = new ArrayList<>(chain.subList(1, chain.size()));
        // Keep intermediates only: a self-signed root at the end is not sent.
        parents.removeIf(c -> c.getSubjectX500Principal().equals(c.getIssuerX500Principal()));
        return new CertificateAuthority(trustDomain, cert, parents, key, clock);
    }

    public String trustDomain() {
        return trustDomain;
    }

    public X509Certificate certificate() {
        return certificate;
    }

    public PrivateKey key() {
        return key;
    }

    /** This CA's certificate followed by its parents up to, not including, the root (for writing it out). */
    public List<X509Certificate> chain() {
        List<X509Certificate> chain = new ArrayList<>();
        chain.add(certificate);
        chain.addAll(parents);
        return chain;
    }

    /** Issues a leaf for {@code id} on a fresh key pair (what a local CA does for a sidecar). */
    public Svid issue(SpiffeId id, Duration ttl) {
        KeyPair keys = KeyPairs.ecP256();
        return new Svid(id, leaf(id, keys.getPublic(), ttl), intermediates(), keys.getPrivate());
    }

    /**
     * Issues a TLS server certificate for DNS names (not an SVID: no SPIFFE ID), on a fresh key pair, e.g. the
     * admission webhook's {@code remora-injector.remora-system.svc}, which the API server checks against the
     * webhook configuration's {@code caBundle} (this CA's root).
     */
    public ServingCertificate issueServing(List<String> dnsNames, Duration ttl) {
        if (dnsNames.isEmpty()) {
            throw new CertificateException("refused: a serving certificate needs at least one DNS name");
        }
        KeyPair keys = KeyPairs.ecP256();
        Instant now = clock.instant();
        Instant notAfter = min(now.plus(ttl), certificate.getNotAfter().toInstant());
        try {
            JcaX509ExtensionUtils utils = new JcaX509ExtensionUtils();
            GeneralName[] names = dnsNames.stream().map(n -> new GeneralName(GeneralName.dNSName, n))
                    .toArray(GeneralName[]::new);
            X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(
                    X500Name.getInstance(certificate.getSubjectX500Principal().getEncoded()), serial(),
                    Date.from(now.minus(BACKDATE)), Date.from(notAfter),
                    new X500Name("O=Remora,CN=" + dnsNames.get(0)), keys.getPublic())
                    .addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
                    .addExtension(Extension.keyUsage, true,
                            new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyEncipherment))
                    .addExtension(Extension.extendedKeyUsage, false,
                            new ExtendedKeyUsage(KeyPurposeId.id_kp_serverAuth))
                    .addExtension(Extension.subjectAlternativeName, false, new GeneralNames(names))
                    .addExtension(Extension.subjectKeyIdentifier, false,
                            utils.createSubjectKeyIdentifier(keys.getPublic()))
                    .addExtension(Extension.authorityKeyIdentifier, false,
                            utils.createAuthorityKeyIdentifier(certificate));
            List<X509Certificate> chain = new ArrayList<>();
            chain.add(sign(b, key));
            chain.addAll(intermediates());
            return new ServingCertificate(chain, keys.getPrivate());
        } catch (GeneralSecurityException | CertIOException e) {
            throw new CertificateException("cannot issue a serving certificate for " + dnsNames + ": "
                    + e.getMessage(), e);
        }
    }

    /**
     * Signs a CSR for {@code id}, the identity the CA decided (from the caller's authenticated identity, never from
     * the request). Refuses a request whose signature is bad, whose key is not EC P-256, or which asks for another
     * identity.
     *
     * @return the leaf followed by the CA's intermediates
     */
    public List<X509Certificate> sign(PKCS10CertificationRequest csr, SpiffeId id, Duration ttl) {
        PublicKey publicKey;
        try {
            publicKey = new JcaPEMKeyConverter().getPublicKey(csr.getSubjectPublicKeyInfo());
            if (!csr.isSignatureValid(new JcaContentVerifierProviderBuilder().build(publicKey))) {
                throw new CertificateException("CSR refused: its signature does not verify");
            }
        } catch (OperatorCreationException | PKCSException | java.io.IOException e) {
            throw new CertificateException("CSR refused: " + e.getMessage(), e);
        }
        if (!(publicKey instanceof ECPublicKey ec) || ec.getParams().getCurve().getField().getFieldSize() != 256) {
            throw new CertificateException("CSR refused: expected an EC P-256 key, got " + publicKey.getAlgorithm());
        }
        for (String requested : Csr.requestedUris(csr)) {
            if (!requested.equals(id.toString())) {
                throw new CertificateException("CSR refused: it asks for " + requested + " but the caller is " + id);
            }
        }
        List<X509Certificate> chain = new ArrayList<>();
        chain.add(leaf(id, publicKey, ttl));
        chain.addAll(intermediates());
        return chain;
    }

    private List<X509Certificate> intermediates() {
        // A root signs leaves directly; an intermediate sends itself and its parents below the root.
        return isRoot() ? List.of() : chain();
    }

    private boolean isRoot() {
        return certificate.getSubjectX500Principal().equals(certificate.getIssuerX500Principal());
    }

    private X509Certificate leaf(SpiffeId id, PublicKey publicKey, Duration ttl) {
        if (!id.trustDomain().equals(trustDomain)) {
            throw new CertificateException("refused: " + id + " is not in this CA's trust domain " + trustDomain);
        }
        if (id.path().isEmpty()) {
            throw new CertificateException("refused: " + id + " names a trust domain, not a workload");
        }
        Instant now = clock.instant();
        Instant notAfter = min(now.plus(ttl), certificate.getNotAfter().toInstant());
        try {
            JcaX509ExtensionUtils utils = new JcaX509ExtensionUtils();
            X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(
                    X500Name.getInstance(certificate.getSubjectX500Principal().getEncoded()), serial(),
                    Date.from(now.minus(BACKDATE)), Date.from(notAfter), new X500Name(""), publicKey)
                    .addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
                    .addExtension(Extension.keyUsage, true,
                            new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyEncipherment | KeyUsage.keyAgreement))
                    .addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(
                            new KeyPurposeId[] {KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth}))
                    // An empty subject makes the SAN the certificate's name: it must be critical (RFC 5280 §4.2.1.6).
                    .addExtension(Extension.subjectAlternativeName, true,
                            new GeneralNames(new GeneralName(GeneralName.uniformResourceIdentifier, id.toString())))
                    .addExtension(Extension.subjectKeyIdentifier, false, utils.createSubjectKeyIdentifier(publicKey))
                    .addExtension(Extension.authorityKeyIdentifier, false,
                            utils.createAuthorityKeyIdentifier(certificate));
            return sign(b, key);
        } catch (GeneralSecurityException | CertIOException e) {
            throw new CertificateException("cannot issue a certificate for " + id + ": " + e.getMessage(), e);
        }
    }

    private static X509Certificate caCertificate(X500Name subject, X500Name issuer, PublicKey publicKey,
                                                 PrivateKey signer, X509Certificate issuerCert, String trustDomain,
                                                 Instant notBefore, Instant notAfter, int pathLength) {
        try {
            JcaX509ExtensionUtils utils = new JcaX509ExtensionUtils();
            X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(issuer, serial(), Date.from(notBefore),
                    Date.from(notAfter), subject, publicKey)
                    .addExtension(Extension.basicConstraints, true,
                            pathLength < 0 ? new BasicConstraints(true) : new BasicConstraints(pathLength))
                    .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign))
                    .addExtension(Extension.subjectAlternativeName, false, new GeneralNames(new GeneralName(
                            GeneralName.uniformResourceIdentifier, SpiffeId.trustDomainId(trustDomain).toString())))
                    .addExtension(Extension.subjectKeyIdentifier, false, utils.createSubjectKeyIdentifier(publicKey));
            if (issuerCert != null) {
                b.addExtension(Extension.authorityKeyIdentifier, false, utils.createAuthorityKeyIdentifier(issuerCert));
            }
            return sign(b, signer);
        } catch (GeneralSecurityException | CertIOException e) {
            throw new CertificateException("cannot create a CA certificate: " + e.getMessage(), e);
        }
    }

    private static X509Certificate sign(X509v3CertificateBuilder builder, PrivateKey signer)
            throws GeneralSecurityException {
        try {
            return new JcaX509CertificateConverter().getCertificate(
                    builder.build(new JcaContentSignerBuilder("SHA256withECDSA").build(signer)));
        } catch (OperatorCreationException e) {
            throw new GeneralSecurityException(e.getMessage(), e);
        }
    }

    private static BigInteger serial() {
        return new BigInteger(127, RANDOM).add(BigInteger.ONE);
    }

    private static Instant min(Instant a, Instant b) {
        return a.isBefore(b) ? a : b;
    }

    @Override
    public String toString() {
        return "CA " + certificate.getSubjectX500Principal() + " (" + trustDomain + ")";
    }
}
