package io.remora.proxy.it.http;

import io.remora.config.Snapshot;
import io.remora.config.testing.TestMesh.SidecarDoc;
import io.remora.proxy.ProxyServer;
import io.remora.proxy.testing.CommandLine;
import io.remora.proxy.testing.HttpTestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.time.Duration;

import static io.remora.config.testing.TestMesh.sidecar;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The inbound listener with a certificate: TLS terminated, HTTP/2 or HTTP/1.1 chosen by ALPN, and
 * plaintext still accepted on the same port. Certificates come from the openssl command line.
 */
@Timeout(60)
class InboundTlsAlpnTest {
    @TempDir
    static Path dir;
    static Path cert;
    static Path key;
    static HttpTestServer app;
    static ProxyServer proxy;
    static HttpClient client;

    @BeforeAll
    static void start() throws Exception {
        assertThat(CommandLine.available("openssl", "version")).as("openssl not installed").isTrue();
        cert = dir.resolve("tls.crt");
        key = dir.resolve("tls.key");
        CommandLine.Result made = CommandLine.run(Duration.ofSeconds(30), "openssl", "req", "-x509", "-newkey", "ec",
                "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key.toString(), "-out",
                cert.toString(), "-days", "2", "-subj", "/CN=localhost",
                "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost");
        assertThat(made.ok()).as(made.output()).isTrue();
        app = new HttpTestServer("app");
        proxy = ProxyServer.start(config(key).snapshot());
        client = HttpClient.newBuilder().sslContext(trusting(cert)).connectTimeout(Duration.ofSeconds(5)).build();
    }

    private static SidecarDoc config(Path privateKey) {
        return sidecar("tls", "test").inbound(app.address())
                .set("inbound.tls", "{certificate: " + cert + ", privateKey: " + privateKey + "}");
    }

    @AfterAll
    static void stop() {
        if (proxy != null) {
            proxy.close();
        }
        if (app != null) {
            app.close();
        }
    }

    private static SSLContext trusting(Path certificate) throws Exception {
        KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
        ks.load(null, null);
        try (InputStream in = Files.newInputStream(certificate)) {
            ks.setCertificateEntry("remora", CertificateFactory.getInstance("X.509").generateCertificate(in));
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(ks);
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(null, tmf.getTrustManagers(), null);
        return ctx;
    }

    private static HttpResponse<String> post(String scheme, HttpClient.Version version, String body) throws Exception {
        HttpRequest req = HttpRequest.newBuilder(URI.create(scheme + "://127.0.0.1:" + proxy.inboundAddress().getPort()
                        + "/echo"))
                .version(version).timeout(Duration.ofSeconds(10))
                .POST(HttpRequest.BodyPublishers.ofString(body)).build();
        return client.send(req, HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void http2IsNegotiatedByAlpnAndTheBodyArrives() throws Exception {
        HttpResponse<String> res = post("https", HttpClient.Version.HTTP_2, "over h2 and TLS");
        assertThat(res.statusCode()).isEqualTo(200);
        assertThat(res.version()).isEqualTo(HttpClient.Version.HTTP_2);
        assertThat(res.body()).isEqualTo("over h2 and TLS");
    }

    @Test
    void http11IsNegotiatedWhenTheClientOffersOnlyThat() throws Exception {
        HttpResponse<String> res = post("https", HttpClient.Version.HTTP_1_1, "over h1 and TLS");
        assertThat(res.statusCode()).isEqualTo(200);
        assertThat(res.version()).isEqualTo(HttpClient.Version.HTTP_1_1);
        assertThat(res.body()).isEqualTo("over h1 and TLS");
    }

    @Test
    void plaintextStillWorksOnTheSamePort() throws Exception {
        HttpResponse<String> res = post("http", HttpClient.Version.HTTP_1_1, "plain");
        assertThat(res.statusCode()).isEqualTo(200);
        assertThat(res.body()).isEqualTo("plain");
    }

    @Test
    void aKeyThatCannotBeReadIsAStartupErrorNamingTheFile() throws Exception {
        Path bad = dir.resolve("bad.key");
        Files.writeString(bad, "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n");
        Snapshot snapshot = config(bad).snapshot();
        assertThatThrownBy(() -> ProxyServer.start(snapshot).close())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(bad.toString());
    }
}
