package io.remora.proxy.controlplane;

import io.remora.certs.KeyPairs;
import io.remora.certs.Pem;
import io.remora.certs.X509Svids;
import io.remora.config.HostPort;
import io.remora.config.Sidecar;
import io.remora.protocol.CertificateResponse;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Clock;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Who the sidecar trusts as its control plane, over real TLS: an SVID of the bundle's trust domain with the
 * configured identity, or, with none configured, the control plane's service account in any namespace; host names
 * play no part. A wrong server is refused in the handshake, before the credential is sent.
 */
@Timeout(30)
class ControlPlaneChannelsTest {
    @TempDir
    Path dir;

    private static String csr() throws Exception {
        KeyPair keys = KeyPairs.ecP256();
        return Pem.encode(new JcaPKCS10CertificationRequestBuilder(new X500Name(""), keys.getPublic())
                .build(new JcaContentSignerBuilder("SHA256withECDSA").build(keys.getPrivate())));
    }

    private CertificateResponse sign(TestControlPlane cp, String host, String identity) throws Exception {
        Sidecar.ControlPlane config = new Sidecar.ControlPlane(
                HostPort.parse(host + ":" + cp.address().substring(cp.address().lastIndexOf(':') + 1)),
                cp.tokenFile.toString(), cp.bundle.toString(), identity, null);
        try (ControlPlaneChannels channels = new ControlPlaneChannels(config, Clock.systemUTC())) {
            return new CertificateClient(channels, cp.tokenFile, Duration.ofSeconds(5)).sign(csr());
        }
    }

    @Test
    void aHostNameTheCertificateDoesNotNameIsNoProblem() throws Exception {
        try (TestControlPlane cp = new TestControlPlane(dir, Clock.systemUTC())) {
            CertificateResponse r = sign(cp, "localhost", null);
            assertThat(X509Svids.uriSans(Pem.certificates("chain", r.certificateChain()).get(0)))
                    .containsExactly("spiffe://test.local/ns/shop/sa/web");
            assertThat(Pem.certificates("bundle", r.trustBundle())).containsExactly(cp.ca.certificate());
        }
    }

    @Test
    void withoutAConfiguredIdentityTheControlPlaneServiceAccountOfAnyNamespaceIsTrusted() throws Exception {
        try (TestControlPlane cp = new TestControlPlane(dir, Clock.systemUTC(),
                "spiffe://test.local/ns/mesh-system/sa/remora-control-plane")) {
            assertThat(sign(cp, "127.0.0.1", null).certificateChain()).contains("BEGIN CERTIFICATE");
        }
    }

    @Test
    void anotherWorkloadOfTheTrustDomainIsNotTakenForTheControlPlane() throws Exception {
        try (TestControlPlane cp = new TestControlPlane(dir, Clock.systemUTC(), "spiffe://test.local/ns/shop/sa/web")) {
            assertThatThrownBy(() -> sign(cp, "127.0.0.1", null))
                    .isInstanceOfSatisfying(CertificateSigner.Failure.class, f -> assertThat(f.refused()).isFalse())
                    .hasMessageContaining("the server presented spiffe://test.local/ns/shop/sa/web, expected the"
                            + " control plane spiffe://test.local/ns/<any>/sa/remora-control-plane");
            assertThat(cp.issued()).isEmpty();
        }
    }

    @Test
    void aConfiguredIdentityMustBePresentedExactly() throws Exception {
        try (TestControlPlane cp = new TestControlPlane(dir, Clock.systemUTC())) {
            String other = "spiffe://test.local/ns/remora-system/sa/remora-control-plane-canary";
            assertThatThrownBy(() -> sign(cp, "127.0.0.1", other))
                    .hasMessageContaining("expected the control plane " + other);
            assertThat(sign(cp, "127.0.0.1", TestControlPlane.ID).certificateChain()).contains("BEGIN CERTIFICATE");
        }
    }

    @Test
    void aRefusalCarriesTheControlPlanesReason() throws Exception {
        try (TestControlPlane cp = new TestControlPlane(dir, Clock.systemUTC())) {
            java.nio.file.Files.writeString(cp.tokenFile, "not-a-token");
            assertThatThrownBy(() -> sign(cp, "127.0.0.1", null))
                    .isInstanceOfSatisfying(CertificateSigner.Failure.class, f -> assertThat(f.refused()).isTrue())
                    .hasMessage("token not recognised: it is no workload's bootstrap token");
        }
    }
}
