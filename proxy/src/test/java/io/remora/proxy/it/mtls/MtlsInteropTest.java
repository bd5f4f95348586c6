package io.remora.proxy.it.mtls;

import io.remora.config.testing.Eventually;
import io.remora.config.testing.TestMesh;
import io.remora.proxy.ProxyServer;
import io.remora.proxy.it.edge.Edge;
import io.remora.proxy.testing.HttpTestServer;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Clients no one here wrote: {@code openssl s_client} and {@code curl} with a certificate from the CA are served by
 * a STRICT inbound listener, which shows its SPIFFE ID; without a certificate, or with one of another CA, nothing is
 * served. (CI installs openssl and curl.)
 */
@Timeout(60)
class MtlsInteropTest {
    @TempDir
    Path dir;

    @AutoClose
    private final HttpTestServer app = new HttpTestServer("app");
    @AutoClose
    private ProxyServer server;

    private record Run(int exit, String out) {
    }

    private static Run run(String stdin, String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(List.of(command)).redirectErrorStream(true).start();
        p.getOutputStream().write(stdin.getBytes(StandardCharsets.US_ASCII));
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        return new Run(p.exitValue(), out);
    }

    @Test
    void opensslAndCurlWithAMeshCertificateAreServedOthersAreNot() throws Exception {
        Pki pki = new Pki(dir);
        Pki.Files serverFiles = pki.issue("server", "server", Duration.ofHours(24));
        Pki.Files web = pki.issue("web", "web", Duration.ofHours(1));
        server = Edge.start(TestMesh.of(TwoSidecars.sidecar("server", serverFiles.mtls("STRICT"))
                .inbound(app.address())));
        String at = "127.0.0.1:" + server.inboundAddress().getPort();

        Run openssl = run("GET /name HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n", "openssl", "s_client",
                "-connect", at, "-cert", web.cert().toString(), "-key", web.key().toString(), "-CAfile",
                pki.bundle.toString(), "-verify_return_error", "-showcerts", "-ign_eof");
        assertThat(openssl.out()).contains("Verify return code: 0 (ok)").contains("HTTP/1.1 200 OK");
        Path shown = dir.resolve("shown.pem");
        String pem = openssl.out().substring(openssl.out().indexOf("-----BEGIN CERTIFICATE-----"),
                openssl.out().indexOf("-----END CERTIFICATE-----") + "-----END CERTIFICATE-----".length());
        Files.writeString(shown, pem + "\n");
        assertThat(run("", "openssl", "x509", "-in", shown.toString(), "-noout", "-ext", "subjectAltName").out())
                .contains("URI:spiffe://cluster.local/ns/test/sa/server");

        // curl: the server has no DNS name to verify (SPIFFE identities are URIs), so -k; it still sends its cert.
        Run curl = run("", "curl", "-sk", "--cert", web.cert().toString(), "--key", web.key().toString(),
                "https://" + at + "/name");
        assertThat(curl.out()).isEqualTo("app");
        assertThat(app.requestCount()).isEqualTo(2);

        Run noCert = run("", "curl", "-sk", "-o", "/dev/null", "-w", "%{http_code}", "https://" + at + "/name");
        assertThat(noCert.out()).isEqualTo("000");
        Pki other = new Pki(Files.createDirectories(dir.resolve("other")));
        Pki.Files stranger = other.issue("web", "web", Duration.ofHours(1));
        Run strangerCurl = run("", "curl", "-sk", "-o", "/dev/null", "-w", "%{http_code}", "--cert",
                stranger.cert().toString(), "--key", stranger.key().toString(), "https://" + at + "/name");
        assertThat(strangerCurl.out()).isEqualTo("000");
        assertThat(app.requestCount()).isEqualTo(2);
        Eventually.eventually(Duration.ofSeconds(10), () -> {
            String scrape = Edge.scrape(server);
            assertThat(Edge.sample(scrape, "remora_mtls_handshake_failures_total", "reason", "no_certificate"))
                    .isEqualTo(1);
            assertThat(Edge.sample(scrape, "remora_mtls_handshake_failures_total", "reason", "untrusted"))
                    .isEqualTo(1);
        });
    }
}
