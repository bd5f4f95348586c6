package io.remora.proxy.tls;

import io.remora.certs.CertificateAuthority;
import io.remora.certs.Pem;
import io.remora.config.MtlsMode;
import io.remora.config.Sidecar;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class LocalCaIdentitySourceTest {
    @TempDir
    Path dir;

    private Sidecar.Mtls config(CertificateAuthority ca, CertificateAuthority bundleRoot) throws Exception {
        Pem.writeCertificates(dir.resolve("ca.pem"), ca.chain());
        Pem.writePrivateKey(dir.resolve("ca.key"), ca.key());
        Pem.writeCertificates(dir.resolve("root.pem"), List.of(bundleRoot.certificate()));
        return new Sidecar.Mtls(MtlsMode.STRICT, null, null, dir.resolve("root.pem").toString(),
                new Sidecar.Tls(dir.resolve("ca.pem").toString(), dir.resolve("ca.key").toString()), null, null);
    }

    @Test
    void issuesTheWorkloadsSvidAndRenewsItWithANewOne() throws Exception {
        CertificateAuthority root = CertificateAuthority.createRoot("cluster.local", Duration.ofDays(30),
                Clock.systemUTC());
        try (LocalCaIdentitySource source = new LocalCaIdentitySource(config(root, root), "shop", "web",
                Clock.systemUTC(), TlsMeters.unregistered())) {
            var first = source.current().svid();
            assertThat(first.id().toString()).isEqualTo("spiffe://cluster.local/ns/shop/sa/web");
            assertThat(Duration.between(Instant.now(), first.notAfter())).isBetween(Duration.ofHours(23),
                    Duration.ofHours(24));
            assertThat(source.nextRenewal()).isBetween(Duration.ofHours(10), Duration.ofMinutes(13 * 60 + 12));
            source.renew();
            var second = source.current().svid();
            assertThat(second.id()).isEqualTo(first.id());
            assertThat(second.leaf().getSerialNumber()).isNotEqualTo(first.leaf().getSerialNumber());
            assertThat(source.current().bundle().verify(second.chain(), Instant.now())).isEqualTo(first.id());
        }
    }

    @Test
    void aCaOfAnotherTrustDomainThanTheBundleIsAStartUpError() throws Exception {
        CertificateAuthority ca = CertificateAuthority.createRoot("example.org", Duration.ofDays(30), Clock.systemUTC());
        CertificateAuthority root = CertificateAuthority.createRoot("cluster.local", Duration.ofDays(30),
                Clock.systemUTC());
        Sidecar.Mtls config = config(ca, root);
        assertThatThrownBy(() -> new LocalCaIdentitySource(config, "shop", "web", Clock.systemUTC(),
                TlsMeters.unregistered())).hasMessageContaining(dir.resolve("ca.pem") + ": the CA's trust domain"
                + " example.org is not the trust bundle's");
    }
}
