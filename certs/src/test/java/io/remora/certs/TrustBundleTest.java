package io.remora.certs;

import static io.remora.certs.Fixtures.CLOCK;
import static io.remora.certs.Fixtures.NOW;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Every way a peer's chain is refused has its own reason, so metrics can tell them apart. */
class TrustBundleTest {
    private static final SpiffeId WEB = SpiffeId.workload("cluster.local", "shop", "web");
    private final CertificateAuthority root = CertificateAuthority.createRoot("cluster.local", Duration.ofDays(30),
            CLOCK);
    private final TrustBundle bundle = new TrustBundle("cluster.local", List.of(root.certificate()));

    private static void refused(ThrowingVerify verify, SvidException.Reason reason, String message) {
        assertThatThrownBy(verify::run).isInstanceOfSatisfying(SvidException.class, e -> {
            assertThat(e.reason()).isEqualTo(reason);
            assertThat(e.getMessage()).contains(message);
        });
    }

    private interface ThrowingVerify {
        void run() throws Exception;
    }

    @Test
    void expiredAndNotYetValidLeavesAreRefused() {
        Svid svid = root.issue(WEB, Duration.ofHours(24));
        refused(() -> bundle.verify(svid.chain(), NOW.plus(Duration.ofHours(25))), SvidException.Reason.EXPIRED,
                "spiffe://cluster.local/ns/shop/sa/web expired at");
        refused(() -> bundle.verify(svid.chain(), NOW.minus(Duration.ofHours(1))),
                SvidException.Reason.NOT_YET_VALID, "is valid only from");
    }

    @Test
    void aLeafOfAnotherCaIsUntrusted() {
        CertificateAuthority other = CertificateAuthority.createRoot("cluster.local", Duration.ofDays(30), CLOCK);
        refused(() -> bundle.verify(other.issue(WEB, Duration.ofHours(1)).chain(), NOW),
                SvidException.Reason.UNTRUSTED, "does not chain to a root of cluster.local");
    }

    @Test
    void aLeafOfAnotherTrustDomainIsRefused() {
        CertificateAuthority other = CertificateAuthority.createRoot("example.org", Duration.ofDays(30), CLOCK);
        refused(() -> bundle.verify(other.issue(SpiffeId.workload("example.org", "shop", "web"),
                Duration.ofHours(1)).chain(), NOW), SvidException.Reason.WRONG_TRUST_DOMAIN, "example.org");
    }

    @Test
    void aCaCertificateOrNoCertificateIsNotAnSvid() {
        refused(() -> bundle.verify(List.of(root.certificate()), NOW), SvidException.Reason.NOT_AN_SVID,
                "names a trust domain");
        refused(() -> bundle.verify(List.of(), NOW), SvidException.Reason.NO_CERTIFICATE, "no certificate");
    }

    @Test
    void aBundleWithTheOldAndTheNewRootTrustsLeavesOfBoth() throws Exception {
        CertificateAuthority next = CertificateAuthority.createRoot("cluster.local", Duration.ofDays(60), CLOCK);
        TrustBundle both = new TrustBundle("cluster.local", List.of(root.certificate(), next.certificate()));
        assertThat(both.verify(root.issue(WEB, Duration.ofHours(1)).chain(), NOW)).isEqualTo(WEB);
        assertThat(both.verify(next.issue(WEB, Duration.ofHours(1)).chain(), NOW)).isEqualTo(WEB);
    }

    @Test
    void aPeerThatAlsoSendsTheRootIsAccepted() throws Exception {
        Svid svid = root.issue(WEB, Duration.ofHours(1));
        assertThat(bundle.verify(List.of(svid.leaf(), root.certificate()), NOW)).isEqualTo(WEB);
    }
}
