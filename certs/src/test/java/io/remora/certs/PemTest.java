package io.remora.certs;

import static io.remora.certs.Fixtures.CLOCK;
import static io.remora.certs.Fixtures.NOW;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PemTest {
    private static final SpiffeId WEB = SpiffeId.workload("cluster.local", "shop", "web");
    private final CertificateAuthority root = CertificateAuthority.createRoot("cluster.local", Duration.ofDays(30),
            CLOCK);

    @TempDir
    Path dir;

    @Test
    void anSvidAndItsCaSurviveARoundTripThroughFiles() throws Exception {
        CertificateAuthority intermediate = root.createIntermediate(Duration.ofDays(7));
        Svid svid = intermediate.issue(WEB, Duration.ofHours(24));
        Path cert = dir.resolve("cert.pem");
        Path key = dir.resolve("key.pem");
        Pem.writeCertificates(cert, svid.chain());
        Pem.writePrivateKey(key, svid.key());

        assertThat(Files.readString(key)).startsWith("-----BEGIN PRIVATE KEY-----");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(key))).isEqualTo("rw-------");
        Svid back = Svid.of(cert.toString(), Pem.readCertificates(cert), Pem.readPrivateKey(key));
        assertThat(back.id()).isEqualTo(WEB);
        assertThat(back.chain()).isEqualTo(svid.chain());

        Path caCert = dir.resolve("ca.pem");
        Path caKey = dir.resolve("ca.key");
        Pem.writeCertificates(caCert, intermediate.chain());
        Pem.writePrivateKey(caKey, intermediate.key());
        CertificateAuthority loaded = CertificateAuthority.load(caCert.toString(), Pem.readCertificates(caCert),
                Pem.readPrivateKey(caKey), CLOCK);
        assertThat(loaded.trustDomain()).isEqualTo("cluster.local");
        TrustBundle bundle = new TrustBundle("cluster.local", List.of(root.certificate()));
        assertThat(bundle.verify(loaded.issue(WEB, Duration.ofHours(1)).chain(), NOW)).isEqualTo(WEB);
    }

    @Test
    void corruptPemAndMismatchedKeysNameTheFile() throws Exception {
        Path corrupt = Files.writeString(dir.resolve("broken.pem"),
                "-----BEGIN CERTIFICATE-----\nnot base64 at all!\n-----END CERTIFICATE-----\n");
        assertThatThrownBy(() -> Pem.readCertificates(corrupt)).isInstanceOf(CertificateException.class)
                .hasMessageStartingWith(corrupt + ": corrupt PEM");
        Path empty = Files.writeString(dir.resolve("empty.pem"), "hello\n");
        assertThatThrownBy(() -> Pem.readCertificates(empty))
                .hasMessage(empty + ": no CERTIFICATE block, expected PEM certificates");
        assertThatThrownBy(() -> Pem.readPrivateKey(empty))
                .hasMessage(empty + ": 0 private keys, expected exactly one PRIVATE KEY block");

        Svid svid = root.issue(WEB, Duration.ofHours(1));
        Svid other = root.issue(WEB, Duration.ofHours(1));
        assertThatThrownBy(() -> Svid.of("web.pem", svid.chain(), other.key()))
                .hasMessage("web.pem: the private key does not match the certificate's public key");
        assertThatThrownBy(() -> Svid.of("ca.pem", List.of(root.certificate()), root.key()))
                .hasMessageStartingWith("ca.pem: the leaf's SPIFFE ID spiffe://cluster.local names a trust domain");
    }
}
