package io.remora.proxy.it.mtls;

import io.remora.certs.Svid;
import io.remora.config.testing.Eventually;
import io.remora.config.testing.TestMesh;
import io.remora.proxy.ProxyServer;
import io.remora.proxy.it.edge.Edge;
import io.remora.proxy.testing.HttpTestServer;
import io.remora.proxy.testing.TcpEchoServer;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;

import static io.remora.config.testing.Eventually.eventually;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Two real sidecars on loopback with mTLS between them: HTTP/1.1, HTTP/2 and TCP flow through; every way a peer
 * can be wrong (plaintext to STRICT, no client certificate, an expired one, another CA, another identity) is
 * refused before anything is served, and counted by reason; PERMISSIVE takes both and counts plaintext.
 */
@Timeout(60)
class MtlsTest {
    private static final Duration SOON = Duration.ofSeconds(10);

    @TempDir
    Path dir;

    @AutoClose
    private final HttpTestServer app = new HttpTestServer("app");
    @AutoClose
    private TwoSidecars mesh;

    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    private HttpResponse<String> get(InetSocketAddress to, String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + to.getPort() + path))
                .timeout(Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static double metric(ProxyServer proxy, String name, String... labels) throws IOException {
        return Edge.sample(Edge.scrape(proxy), name, labels);
    }

    private TwoSidecars strictMesh(String protocol, InetSocketAddress appAddress) throws Exception {
        Pki pki = new Pki(dir);
        return new TwoSidecars(protocol, appAddress,
                pki.issue("server", "server", Duration.ofHours(24)).mtls("STRICT"),
                pki.issue("client", "client", Duration.ofHours(24)).mtls("STRICT"),
                Pki.id("server").toString());
    }

    @Test
    void http1FlowsOverMutualTls() throws Exception {
        mesh = strictMesh("http", app.address());
        HttpResponse<String> res = get(mesh.entry(), "/name");
        assertThat(res.statusCode()).isEqualTo(200);
        assertThat(res.body()).isEqualTo("app");
        // The app learns the verified caller the way Istio tells it: x-forwarded-client-cert.
        assertThat(app.lastRequest().headers().get("x-forwarded-client-cert")).isEqualTo(
                "By=spiffe://cluster.local/ns/test/sa/server;URI=spiffe://cluster.local/ns/test/sa/client");
        assertThat(metric(mesh.server, "remora_mtls_handshakes_total")).isEqualTo(1);
        assertThat(metric(mesh.client, "remora_mtls_handshakes_total")).isEqualTo(1);
        // The pooled connection is reused: one handshake for several requests.
        for (int i = 0; i < 5; i++) {
            assertThat(get(mesh.entry(), "/name").statusCode()).isEqualTo(200);
        }
        assertThat(metric(mesh.server, "remora_mtls_handshakes_total")).isEqualTo(1);
        // Both sides name the verified principals in Istio's labels.
        assertThat(metric(mesh.server, "istio_requests_total", "reporter", "destination",
                "source_principal", Pki.id("client").toString(),
                "destination_principal", Pki.id("server").toString(),
                "connection_security_policy", "mutual_tls")).isEqualTo(6);
        assertThat(metric(mesh.client, "istio_requests_total", "reporter", "source",
                "source_principal", Pki.id("client").toString(),
                "destination_principal", Pki.id("server").toString())).isEqualTo(6);
        // The sidecars told each other who they are (over mTLS only): the server side names the service that was
        // called and the calling workload, the source side the workload that answered.
        assertThat(metric(mesh.server, "istio_requests_total", "reporter", "destination",
                "destination_service", "svc.test.svc.cluster.local", "destination_workload", "server",
                "source_workload", "client", "source_workload_namespace", "test", "source_app", "client",
                "source_version", "latest")).isEqualTo(6);
        assertThat(metric(mesh.client, "istio_requests_total", "reporter", "source",
                "destination_workload", "server", "destination_workload_namespace", "test",
                "destination_app", "server", "destination_version", "latest")).isEqualTo(6);
        assertThat(app.lastRequest().headers().names()).noneMatch(n -> n.toString().startsWith("x-remora-peer")
                || n.toString().equals("x-remora-service"));
        assertThat(res.headers().firstValue("x-remora-peer")).isEmpty();
        assertThat(metric(mesh.client, "remora_cert_expiry_timestamp_seconds", "certificate", "workload"))
                .isGreaterThan(Instant.now().getEpochSecond());
        assertThat(metric(mesh.client, "remora_cert_expiry_timestamp_seconds", "certificate", "root"))
                .isGreaterThan(Instant.now().getEpochSecond());
        String certs = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                + mesh.server.adminAddress().getPort() + "/certs")).build(), HttpResponse.BodyHandlers.ofString()).body();
        assertThat(certs).contains("\"mtls\" : \"STRICT\"")
                .contains("\"spiffe_id\" : \"spiffe://cluster.local/ns/test/sa/server\"")
                .contains("\"role\" : \"workload\"").contains("\"role\" : \"root\"")
                .contains("seconds_until_expiration");
    }

    @Test
    void sidecarsIssuingTheirOwnSvidsFromALocalCaTalkMutualTls() throws Exception {
        Pki pki = new Pki(dir);
        Path caKey = dir.resolve("root.key");
        io.remora.certs.Pem.writePrivateKey(caKey, pki.root.key());
        String localCa = "{mode: STRICT, localCa: {certificate: " + pki.bundle + ", privateKey: " + caKey
                + "}, trustBundle: " + pki.bundle + "}";
        mesh = new TwoSidecars("http", app.address(), localCa, localCa,
                "spiffe://cluster.local/ns/test/sa/server");
        assertThat(get(mesh.entry(), "/name").body()).isEqualTo("app");
        assertThat(metric(mesh.server, "istio_requests_total", "source_principal",
                "spiffe://cluster.local/ns/test/sa/client")).isEqualTo(1);
    }

    @Test
    void http2FlowsOverMutualTlsNegotiatedByAlpn() throws Exception {
        mesh = strictMesh("http2", app.address());
        HttpResponse<String> res = get(mesh.entry(), "/name");
        assertThat(res.statusCode()).isEqualTo(200);
        assertThat(res.body()).isEqualTo("app");
        assertThat(app.lastRequest().protocol()).isEqualTo("h2");
    }

    @Test
    void tcpFlowsOverMutualTls() throws Exception {
        try (TcpEchoServer echo = new TcpEchoServer()) {
            mesh = strictMesh("tcp", echo.address());
            try (Socket s = new Socket("127.0.0.1", mesh.entry().getPort())) {
                s.setSoTimeout(10_000);
                byte[] hello = "hello over mtls".getBytes(StandardCharsets.US_ASCII);
                s.getOutputStream().write(hello);
                s.getOutputStream().flush();
                assertThat(s.getInputStream().readNBytes(hello.length)).isEqualTo(hello);
            }
        }
        eventually(SOON, () -> assertThat(metric(mesh.server, "remora_mtls_handshakes_total")).isEqualTo(1));
        eventually(SOON, () -> assertThat(metric(mesh.server, "istio_tcp_connections_opened_total",
                "source_principal", Pki.id("client").toString(), "connection_security_policy", "mutual_tls"))
                .isEqualTo(1));
        assertThat(metric(mesh.client, "istio_tcp_connections_opened_total",
                "destination_principal", Pki.id("server").toString())).isEqualTo(1);
    }

    @Test
    void plaintextToAStrictListenerIsRefusedAndCounted() throws Exception {
        mesh = strictMesh("http", app.address());
        assertThat(closedWithoutAnswer(mesh.server.inboundAddress(),
                "GET /name HTTP/1.1\r\nhost: x\r\n\r\n")).isTrue();
        assertThat(metric(mesh.server, "remora_mtls_plaintext_refused_total")).isEqualTo(1);
        assertThat(metric(mesh.server, "remora_mtls_handshake_failures_total", "direction", "inbound",
                "reason", "plaintext")).isEqualTo(1);
        assertThat(app.requestCount()).isZero();
    }

    @Test
    void permissiveTakesMutualTlsAndPlaintextAndCountsThePlaintext() throws Exception {
        Pki pki = new Pki(dir);
        mesh = new TwoSidecars("http", app.address(),
                pki.issue("server", "server", Duration.ofHours(24)).mtls("PERMISSIVE"),
                pki.issue("client", "client", Duration.ofHours(24)).mtls("PERMISSIVE"), Pki.id("server").toString());
        assertThat(get(mesh.entry(), "/name").body()).isEqualTo("app");
        HttpResponse<String> spoofed = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                + mesh.server.inboundAddress().getPort() + "/name")).header("x-forwarded-client-cert",
                "URI=spiffe://cluster.local/ns/test/sa/admin").build(), HttpResponse.BodyHandlers.ofString());
        assertThat(spoofed.body()).isEqualTo("app");
        assertThat(app.lastRequest().headers().contains("x-forwarded-client-cert"))
                .as("a plaintext caller cannot claim an identity").isFalse();
        assertThat(metric(mesh.server, "remora_mtls_plaintext_connections_total")).isEqualTo(1);
        assertThat(metric(mesh.server, "istio_requests_total", "connection_security_policy", "none",
                "source_principal", "unknown")).isEqualTo(1);
        assertThat(metric(mesh.server, "istio_requests_total", "connection_security_policy", "mutual_tls"))
                .isEqualTo(1);
        assertThat(metric(mesh.server, "remora_mtls_handshakes_total")).isEqualTo(1);
    }

    @Test
    void anUpstreamWithAnotherIdentityIsRefusedBeforeTheRequestIsSent() throws Exception {
        try (io.remora.proxy.it.edge.LogCapture log = new io.remora.proxy.it.edge.LogCapture()) {
            wrongIdentity();
            Eventually.eventually(SOON, () -> assertThat(log.lines()).anySatisfy(l -> {
                assertThat(l.path("event").asText()).isEqualTo("mtls_handshake_refused");
                assertThat(l.path("direction").asText()).isEqualTo("outbound");
                assertThat(l.path("seen").asText()).isEqualTo(Pki.id("server").toString());
                assertThat(l.path("expected").asText()).isEqualTo(Pki.id("payments").toString());
                assertThat(l.path("peer").asText()).contains("127.0.0.1:" + mesh.server.inboundAddress().getPort());
            }));
        }
    }

    private void wrongIdentity() throws Exception {
        Pki pki = new Pki(dir);
        mesh = new TwoSidecars("http", app.address(),
                pki.issue("server", "server", Duration.ofHours(24)).mtls("STRICT"),
                pki.issue("client", "client", Duration.ofHours(24)).mtls("STRICT"), Pki.id("payments").toString());
        HttpResponse<String> res = get(mesh.entry(), "/name");
        assertThat(res.statusCode()).isEqualTo(503);
        assertThat(res.headers().firstValue("x-remora-response-flags").orElse("")).startsWith("UF");
        assertThat(metric(mesh.client, "remora_mtls_handshake_failures_total", "direction", "outbound",
                "reason", "wrong_identity")).isGreaterThanOrEqualTo(1);
        assertThat(app.requestCount()).isZero();
    }

    @Test
    void anUpstreamOfAnotherCaIsRefused() throws Exception {
        Pki ours = new Pki(dir.resolve(mkdir("ours")));
        Pki theirs = new Pki(dir.resolve(mkdir("theirs")));
        mesh = new TwoSidecars("http", app.address(),
                theirs.issue("server", "server", Duration.ofHours(24)).mtls("STRICT"),
                ours.issue("client", "client", Duration.ofHours(24)).mtls("STRICT"), Pki.id("server").toString());
        assertThat(get(mesh.entry(), "/name").statusCode()).isEqualTo(503);
        assertThat(metric(mesh.client, "remora_mtls_handshake_failures_total", "direction", "outbound",
                "reason", "untrusted")).isGreaterThanOrEqualTo(1);
        assertThat(app.requestCount()).isZero();
    }

    @Test
    void aClientWithoutACertificateOrWithAnExpiredOneIsRefused() throws Exception {
        Pki pki = new Pki(dir);
        mesh = new TwoSidecars("http", app.address(),
                pki.issue("server", "server", Duration.ofHours(24)).mtls("STRICT"), null, null);
        InetSocketAddress inbound = mesh.server.inboundAddress();

        assertThat(tlsExchangeFails(inbound, tls(null))).isTrue();
        eventually(SOON, () -> assertThat(metric(mesh.server, "remora_mtls_handshake_failures_total",
                "direction", "inbound", "reason", "no_certificate")).isEqualTo(1));

        // An SVID of the right CA, issued by it when its clock said three days ago: expired now.
        io.remora.certs.CertificateAuthority pastCa = io.remora.certs.CertificateAuthority.load("root",
                java.util.List.of(pki.root.certificate()), pki.root.key(),
                Clock.fixed(Instant.now().minus(Duration.ofDays(3)), ZoneOffset.UTC));
        Svid old = pastCa.issue(Pki.id("old"), Duration.ofHours(1));
        assertThat(tlsExchangeFails(inbound, tls(old))).isTrue();
        eventually(SOON, () -> assertThat(metric(mesh.server, "remora_mtls_handshake_failures_total",
                "direction", "inbound", "reason", "expired")).isEqualTo(1));
        assertThat(app.requestCount()).isZero();

        // The right certificate is served.
        Svid good = pki.root.issue(Pki.id("client"), Duration.ofHours(1));
        assertThat(tlsExchangeFails(inbound, tls(good))).isFalse();
        assertThat(app.requestCount()).isEqualTo(1);
    }

    @Test
    void refusedPeersAreCountedEachButLoggedInAtMostALineASecondAndNeverWithAStackTrace() throws Exception {
        Pki pki = new Pki(dir);
        mesh = new TwoSidecars("http", app.address(),
                pki.issue("server", "server", Duration.ofHours(24)).mtls("STRICT"), null, null);
        InetSocketAddress inbound = mesh.server.inboundAddress();
        Svid foreign = new Pki(Files.createDirectories(dir.resolve("other"))).root.issue(Pki.id("intruder"),
                Duration.ofHours(1));
        java.util.logging.Logger root = java.util.logging.LogManager.getLogManager().getLogger("");
        java.util.logging.Handler[] handlers = root.getHandlers();
        java.util.logging.Level level = root.getLevel();
        try (io.remora.proxy.it.edge.LogCapture log = new io.remora.proxy.it.edge.LogCapture()) {
            // As the launcher runs it: Netty's own logging goes through java.util.logging into the JSON log.
            io.remora.log.Log.bridgeJul();
            for (int i = 0; i < 20; i++) {
                assertThat(tlsExchangeFails(inbound, tls(foreign))).isTrue();
            }
            eventually(SOON, () -> assertThat(metric(mesh.server, "remora_mtls_handshake_failures_total",
                    "direction", "inbound", "reason", "untrusted")).isEqualTo(20));
            io.remora.log.Log.flush();
            assertThat(log.events("jul")).isEmpty();
            assertThat(log.lines()).noneMatch(l -> l.has("exception"));
            java.util.List<com.fasterxml.jackson.databind.JsonNode> refused = log.events("mtls_handshake_refused");
            assertThat(refused).isNotEmpty().hasSizeLessThanOrEqualTo(10)
                    .allSatisfy(l -> assertThat(l.path("reason").asText()).isEqualTo("untrusted"));
            assertThat(refused.get(0).path("suppressed").asLong()).isZero();
        } finally {
            for (java.util.logging.Handler h : root.getHandlers()) {
                root.removeHandler(h);
            }
            for (java.util.logging.Handler h : handlers) {
                root.addHandler(h);
            }
            root.setLevel(level);
        }
        assertThat(app.requestCount()).isZero();
    }

    @Test
    void anUnusableCertificateIsAStartUpErrorNamingTheFile() throws Exception {
        Pki pki = new Pki(dir);
        Pki.Files files = pki.issue("server", "server", Duration.ofHours(24));
        Files.writeString(files.key(), "-----BEGIN PRIVATE KEY-----\ngarbage\n-----END PRIVATE KEY-----\n");
        assertThatThrownBy(() -> Edge.start(TestMesh.of(TwoSidecars.sidecar("s", files.mtls("STRICT")))))
                .hasMessageContaining(files.key().toString());

        Pki.Files other = pki.issue("other", "other", Duration.ofHours(24));
        Files.copy(other.key(), files.key(), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        assertThatThrownBy(() -> Edge.start(TestMesh.of(TwoSidecars.sidecar("s", files.mtls("STRICT")))))
                .hasMessageContaining(files.cert() + ": the private key does not match");
    }

    private String mkdir(String name) throws IOException {
        return Files.createDirectories(dir.resolve(name)).getFileName().toString();
    }

    /** Sends {@code request} in plaintext; true when the connection is closed without a byte of answer. */
    private static boolean closedWithoutAnswer(InetSocketAddress to, String request) throws IOException {
        try (Socket s = new Socket(to.getAddress(), to.getPort())) {
            s.setSoTimeout(10_000);
            s.getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));
            try {
                return s.getInputStream().read() == -1;
            } catch (java.net.SocketException reset) {
                return true;
            }
        }
    }

    /** A JDK TLS client presenting {@code svid} (none when null) and trusting anything (it tests the server). */
    private static SSLContext tls(Svid svid) throws Exception {
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        if (svid != null) {
            ks.setKeyEntry("svid", svid.key(), new char[0], svid.chain().toArray(X509Certificate[]::new));
        }
        kmf.init(ks, new char[0]);
        TrustManager trustAll = new X509TrustManager() {
            @Override
            public void checkClientTrusted(X509Certificate[] chain, String authType) {
            }

            @Override
            public void checkServerTrusted(X509Certificate[] chain, String authType) {
            }

            @Override
            public X509Certificate[] getAcceptedIssuers() {
                return new X509Certificate[0];
            }
        };
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(kmf.getKeyManagers(), new TrustManager[] {trustAll}, null);
        return ctx;
    }

    /** One HTTP/1.1 request over TLS; true when it fails (refused handshake or closed before an answer). */
    private static boolean tlsExchangeFails(InetSocketAddress to, SSLContext ctx) throws IOException {
        try (SSLSocket s = (SSLSocket) ctx.getSocketFactory().createSocket(to.getAddress(), to.getPort())) {
            s.setSoTimeout(10_000);
            s.startHandshake();
            s.getOutputStream().write("GET /name HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n"
                    .getBytes(StandardCharsets.US_ASCII));
            s.getOutputStream().flush();
            InputStream in = s.getInputStream();
            byte[] answer = in.readAllBytes();
            return !new String(answer, StandardCharsets.US_ASCII).startsWith("HTTP/1.1 200");
        } catch (IOException e) {
            return true;
        }
    }
}
