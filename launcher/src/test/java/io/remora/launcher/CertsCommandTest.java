package io.remora.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import io.remora.certs.Pem;
import io.remora.certs.SpiffeId;
import io.remora.certs.TrustBundle;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class CertsCommandTest {
    @TempDir
    Path dir;

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private int run(String... args) {
        CommandLine command = Remora.commandLine(args);
        command.setOut(new PrintWriter(out));
        command.setErr(new PrintWriter(err));
        return command.execute(args);
    }

    @Test
    void aRootAnIntermediateAndALeafMakeAChainTheTrustBundleAccepts() throws Exception {
        Path root = dir.resolve("root");
        Path ca = dir.resolve("ca");
        assertThat(run("certs", "root", "--trust-domain", "mesh.test", "--out", root.toString())).isZero();
        assertThat(run("certs", "root", "--intermediate", root.toString(), "--ttl", "720h", "--out", ca.toString()))
                .isZero();
        assertThat(run("certs", "issue", "--ca", ca.toString(), "--namespace", "shop", "--service-account", "web",
                "--out", dir.toString())).as(err.toString()).isZero();
        assertThat(out.toString()).contains("for spiffe://mesh.test/ns/shop/sa/web, expires");

        TrustBundle bundle = TrustBundle.of("root.pem", Pem.readCertificates(root.resolve("root.pem")));
        List<java.security.cert.X509Certificate> chain = Pem.readCertificates(dir.resolve("web.pem"));
        assertThat(chain).hasSize(2);
        assertThat(bundle.verify(chain, Instant.now())).isEqualTo(SpiffeId.parse("spiffe://mesh.test/ns/shop/sa/web"));
        assertThat(Files.readString(dir.resolve("web.key"))).startsWith("-----BEGIN PRIVATE KEY-----");
    }

    @Test
    void inspectShowsTheSpiffeIdAndValidity() {
        assertThat(run("certs", "root", "--out", dir.toString())).isZero();
        assertThat(run("certs", "issue", "--ca", dir.toString(), "--namespace", "shop", "--service-account",
                "payments", "--ttl", "2h", "--out", dir.toString())).isZero();
        out.getBuffer().setLength(0);
        assertThat(run("certs", "inspect", dir.resolve("payments.pem").toString())).isZero();
        assertThat(out.toString())
                .contains("spiffe id: spiffe://cluster.local/ns/shop/sa/payments")
                .contains("subject: (empty)")
                .contains("ca: false")
                .containsPattern("status: valid, expires in 1h 5\\dm");
    }

    @Test
    void errorsNameTheFileAndExitOne() throws Exception {
        Path broken = Files.writeString(dir.resolve("broken.pem"), "-----BEGIN CERTIFICATE-----\n!!\n"
                + "-----END CERTIFICATE-----\n");
        assertThat(run("certs", "inspect", broken.toString())).isEqualTo(1);
        assertThat(err.toString()).startsWith("error: " + broken + ": corrupt PEM");

        assertThat(run("certs", "issue", "--ca", dir.resolve("none").toString(), "--namespace", "a",
                "--service-account", "b", "--out", dir.toString())).isEqualTo(1);
        assertThat(err.toString()).contains("root.pem: cannot read");

        assertThat(run("certs", "root", "--ttl", "ten years", "--out", dir.toString())).isEqualTo(1);
        assertThat(err.toString()).contains("--ttl: got \"ten years\"");
    }
}
