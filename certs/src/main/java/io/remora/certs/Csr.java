package io.remora.certs;

import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.Extensions;
import org.bouncycastle.asn1.x509.ExtensionsGenerator;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;

import java.io.IOException;
import java.security.KeyPair;

/** PKCS#10 certificate requests as a workload sends them to a CA: its public key and the ID it asks for. */
public final class Csr {
    private Csr() {
    }

    /**
     * A request that asks for no identity, signed with {@code keys}: what a sidecar sends a CA that decides its
     * identity from a credential.
     */
    public static PKCS10CertificationRequest create(KeyPair keys) {
        try {
            return new JcaPKCS10CertificationRequestBuilder(new X500Name(""), keys.getPublic())
                    .build(new JcaContentSignerBuilder("SHA256withECDSA").build(keys.getPrivate()));
        } catch (OperatorCreationException e) {
            throw new CertificateException("cannot create a CSR: " + e.getMessage(), e);
        }
    }

    /** A request for {@code id}, signed with {@code keys}. */
    public static PKCS10CertificationRequest create(KeyPair keys, SpiffeId id) {
        try {
            ExtensionsGenerator extensions = new ExtensionsGenerator();
            extensions.addExtension(Extension.subjectAlternativeName, true,
                    new GeneralNames(new GeneralName(GeneralName.uniformResourceIdentifier, id.toString())));
            return new JcaPKCS10CertificationRequestBuilder(new X500Name(""), keys.getPublic())
                    .addAttribute(PKCSObjectIdentifiers.pkcs_9_at_extensionRequest, extensions.generate())
                    .build(new JcaContentSignerBuilder("SHA256withECDSA").build(keys.getPrivate()));
        } catch (IOException | OperatorCreationException e) {
            throw new CertificateException("cannot create a CSR: " + e.getMessage(), e);
        }
    }

    /** The URI SANs a request asks for (empty when it asks for none). */
    static java.util.List<String> requestedUris(PKCS10CertificationRequest csr) {
        java.util.List<String> uris = new java.util.ArrayList<>();
        for (var attribute : csr.getAttributes(PKCSObjectIdentifiers.pkcs_9_at_extensionRequest)) {
            Extensions extensions = Extensions.getInstance(attribute.getAttrValues().getObjectAt(0));
            GeneralNames names = GeneralNames.fromExtensions(extensions, Extension.subjectAlternativeName);
            if (names != null) {
                for (GeneralName name : names.getNames()) {
                    if (name.getTagNo() == GeneralName.uniformResourceIdentifier) {
                        uris.add(name.getName().toString());
                    }
                }
            }
        }
        return uris;
    }
}
