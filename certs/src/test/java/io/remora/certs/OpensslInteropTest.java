package io.remora.certs;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** OpenSSL, which no one here wrote, reads what the CA writes: it verifies the chain and sees the SPIFFE ID. */
class OpensslInteropTest {
    @TempDir
    Path dir;

    private static String run(String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(List.of(command)).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        return "exit " + p.exitValue() + "\n" + out;
    }

    @Test
    void opensslVerifiesTheChainAndShowsTheSpiffeId() throws Exception {
        CertificateAuthority root = CertificateAuthority.createRoot("cluster.local", Duration.ofDays(1),
                Clock.systemUTC());
        CertificateAuthority intermediate = root.createIntermediate(Duration.ofHours(12));
        Svid svid = intermediate.issue(SpiffeId.workload("cluster.local", "shop", "web"), Duration.ofHours(1));
        Path rootPem = dir.resolve("root.pem");
        Path chainPem = dir.resolve("chain.pem");
        Path leafPem = dir.resolve("leaf.pem");
        Path keyPem = dir.resolve("key.pem");
        Pem.writeCertificates(rootPem, List.of(root.certificate()));
        Pem.writeCertificates(chainPem, svid.intermediates());
        Pem.writeCertificates(leafPem, List.of(svid.leaf()));
        Pem.writePrivateKey(keyPem, svid.key());

        assertThat(run("openssl", "verify", "-CAfile", rootPem.toString(), "-untrusted", chainPem.toString(),
                "-purpose", "sslclient", leafPem.toString())).isEqualTo("exit 0\n" + leafPem + ": OK\n");
        assertThat(run("openssl", "x509", "-in", leafPem.toString(), "-noout", "-ext", "subjectAltName"))
                .startsWith("exit 0").contains("URI:spiffe://cluster.local/ns/shop/sa/web");
        assertThat(run("openssl", "pkey", "-in", keyPem.toString(), "-noout", "-text")).startsWith("exit 0")
                .contains("NIST CURVE: P-256");

        CertificateAuthority stranger = CertificateAuthority.createRoot("cluster.local", Duration.ofDays(1),
                Clock.systemUTC());
        Path strangerLeaf = dir.resolve("stranger.pem");
        Pem.writeCertificates(strangerLeaf, List.of(stranger.issue(SpiffeId.workload("cluster.local", "x", "y"),
                Duration.ofHours(1)).leaf()));
        List<String> args = new ArrayList<>(List.of("openssl", "verify", "-CAfile", rootPem.toString(),
                strangerLeaf.toString()));
        assertThat(run(args.toArray(String[]::new))).doesNotStartWith("exit 0");
    }
}
