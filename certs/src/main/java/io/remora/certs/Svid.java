package io.remora.certs;

import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * An X.509-SVID with its private key: the leaf certificate (one {@code spiffe://} URI SAN), the intermediates up
 * to (not including) a root of the trust bundle, and the key the leaf certifies.
 */
public record Svid(SpiffeId id, X509Certificate leaf, List<X509Certificate> intermediates, PrivateKey key) {
    public Svid {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(leaf, "leaf");
        Objects.requireNonNull(key, "key");
        intermediates = List.copyOf(intermediates);
    }

    /** Leaf first, then the intermediates: what a TLS peer is sent. */
    public List<X509Certificate> chain() {
        List<X509Certificate> chain = new ArrayList<>(1 + intermediates.size());
        chain.add(leaf);
        chain.addAll(intermediates);
        return chain;
    }

    public Instant notBefore() {
        return leaf.getNotBefore().toInstant();
    }

    public Instant notAfter() {
        return leaf.getNotAfter().toInstant();
    }

    /**
     * Loads an SVID from a certificate chain and its key, checking that the leaf is an SVID and that the key
     * belongs to it.
     */
    public static Svid of(String source, List<X509Certificate> chain, PrivateKey key) {
        if (chain.isEmpty()) {
            throw new CertificateException(source + ": no certificate");
        }
        X509Certificate leaf = chain.get(0);
        SpiffeId id;
        try {
            id = X509Svids.leafId(leaf);
        } catch (SvidException e) {
            throw new CertificateException(source + ": " + e.getMessage(), e);
        }
        if (!KeyPairs.matches(leaf.getPublicKey(), key)) {
            throw new CertificateException(source + ": the private key does not match the certificate's public key");
        }
        return new Svid(id, leaf, chain.subList(1, chain.size()), key);
    }
}
