package io.remora.proxy.it.mtls;

import io.remora.certs.Pem;
import io.remora.certs.Svid;
import io.remora.config.testing.Eventually;
import io.remora.proxy.it.edge.Edge;
import io.remora.proxy.testing.HttpTestServer;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import java.math.BigInteger;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Rotation is boring: the server sidecar's certificate files are replaced while requests flow through the client
 * sidecar's pooled connection and new TLS connections arrive every few milliseconds; new connections get the new
 * certificate, the existing connection carries on, and not one request fails.
 */
@Timeout(60)
class RotationTest {
    @TempDir
    Path dir;

    @AutoClose
    private final HttpTestServer app = new HttpTestServer("app");
    @AutoClose
    private TwoSidecars mesh;

    @Test
    void replacingTheCertificateFilesRotatesWithoutAFailedRequest() throws Exception {
        Pki pki = new Pki(dir);
        Pki.Files server = pki.issue("server", "server", Duration.ofHours(24));
        Pki.Files client = pki.issue("client", "client", Duration.ofHours(24));
        mesh = new TwoSidecars("http2", app.address(), server.mtls("STRICT"), client.mtls("STRICT"),
                Pki.id("server").toString());
        InetSocketAddress inbound = mesh.server.inboundAddress();
        SSLContext direct = pki.clientContext(client.svid());
        BigInteger before = serverSerial(inbound, direct);
        assertThat(before).isEqualTo(server.svid().leaf().getSerialNumber());

        AtomicBoolean running = new AtomicBoolean(true);
        AtomicInteger ok = new AtomicInteger();
        AtomicInteger failed = new AtomicInteger();
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        URI uri = URI.create("http://127.0.0.1:" + mesh.entry().getPort() + "/name");
        Thread throughMesh = new Thread(() -> {
            while (running.get()) {
                try {
                    HttpResponse<String> r = http.send(HttpRequest.newBuilder(uri).build(),
                            HttpResponse.BodyHandlers.ofString());
                    (r.statusCode() == 200 ? ok : failed).incrementAndGet();
                } catch (Exception e) {
                    failed.incrementAndGet();
                }
            }
        });
        AtomicInteger handshakes = new AtomicInteger();
        Thread newConnections = new Thread(() -> {
            while (running.get()) {
                try {
                    serverSerial(inbound, direct);
                    handshakes.incrementAndGet();
                    Thread.sleep(5);
                } catch (Exception e) {
                    failed.incrementAndGet();
                }
            }
        });
        throughMesh.start();
        newConnections.start();
        Thread.sleep(300);

        Svid next = pki.root.issue(Pki.id("server"), Duration.ofHours(24));
        Path tmp = dir.resolve("next");
        Files.createDirectories(tmp);
        Pem.writeCertificates(tmp.resolve("server.pem"), next.chain());
        Pem.writePrivateKey(tmp.resolve("server.key"), next.key());
        Files.move(tmp.resolve("server.key"), server.key(), StandardCopyOption.REPLACE_EXISTING,
                StandardCopyOption.ATOMIC_MOVE);
        Files.move(tmp.resolve("server.pem"), server.cert(), StandardCopyOption.REPLACE_EXISTING,
                StandardCopyOption.ATOMIC_MOVE);

        Eventually.eventually(Duration.ofSeconds(15), () -> assertThat(serverSerial(inbound, direct))
                .isEqualTo(next.leaf().getSerialNumber()));
        Thread.sleep(300);
        running.set(false);
        throughMesh.join();
        newConnections.join();

        assertThat(failed.get()).as("failed requests and handshakes").isZero();
        assertThat(ok.get()).isGreaterThan(10);
        assertThat(handshakes.get()).isGreaterThan(10);
        assertThat(Edge.sample(Edge.scrape(mesh.client), "remora_mtls_handshakes_total"))
                .as("the client sidecar's pooled h2 connection survived the rotation").isEqualTo(1);
    }

    /** A new mTLS connection to the inbound listener; the serial of the certificate it presented. */
    private static BigInteger serverSerial(InetSocketAddress to, SSLContext ctx) throws Exception {
        try (SSLSocket s = (SSLSocket) ctx.getSocketFactory().createSocket(to.getAddress(), to.getPort())) {
            s.setSoTimeout(10_000);
            s.startHandshake();
            return ((X509Certificate) s.getSession().getPeerCertificates()[0]).getSerialNumber();
        }
    }
}
