package io.remora.certs;

import static io.remora.certs.Fixtures.CLOCK;
import static io.remora.certs.Fixtures.NOW;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.junit.jupiter.api.Test;

class CertificateAuthorityTest {
    private static final SpiffeId PAYMENTS = SpiffeId.workload("cluster.local", "shop", "payments");
    private final CertificateAuthority root = CertificateAuthority.createRoot("cluster.local",
            CertificateAuthority.DEFAULT_ROOT_TTL, CLOCK);
    private final TrustBundle bundle = new TrustBundle("cluster.local", List.of(root.certificate()));

    @Test
    void aLeafIsAnX509SvidAsTheSpecDefinesIt() throws Exception {
        Svid svid = root.issue(PAYMENTS, CertificateAuthority.DEFAULT_LEAF_TTL);
        X509Certificate leaf = svid.leaf();
        assertThat(X509Svids.uriSans(leaf)).containsExactly("spiffe://cluster.local/ns/shop/sa/payments");
        assertThat(leaf.getBasicConstraints()).as("not a CA").isEqualTo(-1);
        assertThat(leaf.getKeyUsage()[0]).as("digitalSignature").isTrue();
        assertThat(leaf.getKeyUsage()[5]).as("keyCertSign").isFalse();
        assertThat(leaf.getExtendedKeyUsage()).containsExactlyInAnyOrder(X509Svids.EKU_SERVER_AUTH,
                X509Svids.EKU_CLIENT_AUTH);
        assertThat(leaf.getCriticalExtensionOIDs()).contains("2.5.29.17");
        assertThat(leaf.getPublicKey().getAlgorithm()).isEqualTo("EC");
        assertThat(Duration.between(NOW, svid.notAfter())).isEqualTo(Duration.ofHours(24));
        assertThat(svid.notBefore()).isBefore(NOW);
        assertThat(svid.intermediates()).isEmpty();
        assertThat(bundle.verify(svid.chain(), NOW)).isEqualTo(PAYMENTS);
    }

    @Test
    void aServingCertificateNamesItsDnsNamesAndChainsToTheRoot() throws Exception {
        CertificateAuthority intermediate = root.createIntermediate(CertificateAuthority.DEFAULT_INTERMEDIATE_TTL);
        ServingCertificate serving = intermediate.issueServing(
                List.of("remora-injector.remora-system.svc", "remora-injector"), Duration.ofHours(24));
        X509Certificate leaf = serving.leaf();
        assertThat(leaf.getSubjectAlternativeNames().stream().map(san -> (Object) san.get(1)).toList())
                .containsExactly("remora-injector.remora-system.svc", "remora-injector");
        assertThat(leaf.getSubjectAlternativeNames().stream().map(san -> (Object) san.get(0)).toList())
                .as("dNSName").containsOnly(2);
        assertThat(leaf.getExtendedKeyUsage()).containsExactly(X509Svids.EKU_SERVER_AUTH);
        assertThat(leaf.getBasicConstraints()).isEqualTo(-1);
        assertThat(serving.chain()).hasSize(2);
        assertThat(Duration.between(NOW, serving.notAfter())).isEqualTo(Duration.ofHours(24));
        leaf.verify(intermediate.certificate().getPublicKey());
        serving.chain().get(1).verify(root.certificate().getPublicKey());
        assertThatThrownBy(() -> root.issueServing(List.of(), Duration.ofHours(1)))
                .isInstanceOf(CertificateException.class).hasMessageContaining("at least one DNS name");
    }

    @Test
    void anIntermediateSignsLeavesThatChainToTheRoot() throws Exception {
        CertificateAuthority intermediate = root.createIntermediate(CertificateAuthority.DEFAULT_INTERMEDIATE_TTL);
        assertThat(intermediate.certificate().getBasicConstraints()).isZero();
        Svid svid = intermediate.issue(PAYMENTS, Duration.ofHours(1));
        assertThat(svid.intermediates()).containsExactly(intermediate.certificate());
        assertThat(bundle.verify(svid.chain(), NOW)).isEqualTo(PAYMENTS);
        assertThatThrownBy(() -> bundle.verify(List.of(svid.leaf()), NOW))
                .isInstanceOfSatisfying(SvidException.class,
                        e -> assertThat(e.reason()).isEqualTo(SvidException.Reason.UNTRUSTED));
    }

    @Test
    void aLeafNeverOutlivesItsCa() {
        CertificateAuthority shortRoot = CertificateAuthority.createRoot("cluster.local", Duration.ofHours(2), CLOCK);
        Svid svid = shortRoot.issue(PAYMENTS, Duration.ofHours(24));
        assertThat(svid.notAfter()).isEqualTo(shortRoot.certificate().getNotAfter().toInstant());
    }

    @Test
    void aCsrIsSignedForTheIdentityTheCaDecided() throws Exception {
        KeyPair keys = KeyPairs.ecP256();
        PKCS10CertificationRequest csr = Csr.create(keys, PAYMENTS);
        List<X509Certificate> chain = root.sign(csr, PAYMENTS, Duration.ofHours(24));
        assertThat(chain.get(0).getPublicKey()).isEqualTo(keys.getPublic());
        assertThat(bundle.verify(chain, NOW)).isEqualTo(PAYMENTS);
        Svid svid = Svid.of("test", chain, keys.getPrivate());
        assertThat(svid.id()).isEqualTo(PAYMENTS);
    }

    @Test
    void aCsrAskingForAnotherIdentityIsRefused() {
        PKCS10CertificationRequest csr = Csr.create(KeyPairs.ecP256(),
                SpiffeId.workload("cluster.local", "shop", "admin"));
        assertThatThrownBy(() -> root.sign(csr, PAYMENTS, Duration.ofHours(24)))
                .isInstanceOf(CertificateException.class)
                .hasMessage("CSR refused: it asks for spiffe://cluster.local/ns/shop/sa/admin but the caller is"
                        + " spiffe://cluster.local/ns/shop/sa/payments");
    }

    @Test
    void aCsrSignedWithAnotherKeyIsRefused() throws Exception {
        PKCS10CertificationRequest good = Csr.create(KeyPairs.ecP256(), PAYMENTS);
        byte[] der = good.getEncoded();
        der[der.length - 5] ^= 0x01; // flip a bit of the signature
        PKCS10CertificationRequest tampered = new PKCS10CertificationRequest(der);
        assertThatThrownBy(() -> root.sign(tampered, PAYMENTS, Duration.ofHours(24)))
                .isInstanceOf(CertificateException.class).hasMessageStartingWith("CSR refused");
    }

    @Test
    void identitiesOfAnotherTrustDomainAreNotIssued() {
        assertThatThrownBy(() -> root.issue(SpiffeId.workload("example.org", "shop", "payments"), Duration.ofHours(1)))
                .hasMessageContaining("not in this CA's trust domain cluster.local");
    }
}
