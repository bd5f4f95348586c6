package io.remora.proxy.controlplane;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.remora.certs.CertificateException;
import io.remora.certs.Pem;
import io.remora.certs.SpiffeId;
import io.remora.certs.Svid;
import io.remora.certs.X509Svids;
import io.remora.config.Snapshot;
import io.remora.config.testing.TestMesh;
import io.remora.log.JsonWriter;
import io.remora.protocol.DiscoveryRequest;
import io.remora.proxy.ProxyServer;
import io.remora.proxy.it.edge.Edge;
import io.remora.proxy.it.edge.LogCapture;
import io.remora.proxy.policy.Backoff;
import io.remora.proxy.testing.HttpTestServer;
import io.remora.proxy.testing.ScriptedUpstream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.math.BigInteger;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

import static io.remora.config.testing.Eventually.eventually;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A sidecar configured by a real control plane over real sockets (a grpc-java server speaking the protocol, with a
 * CA): the workload certificate comes by CSR at start, is used for mTLS and renewed at half-life; a refused token
 * fails start with the control plane's reason; pushed snapshots route traffic, an invalid one is NACKed with the
 * validator's {@code file:line:col} while the previous config serves; traffic flows while the control plane is down,
 * the client comes back with it; and a sidecar restarted without it serves from what it kept.
 */
@Timeout(60)
class ControlPlaneTest {
    private static final Duration SOON = Duration.ofSeconds(10);
    private static final SpiffeId WEB = SpiffeId.workload(TestControlPlane.TRUST_DOMAIN, "shop", "web");
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    private final MovableClock clock = new MovableClock();
    @AutoClose
    private final LogCapture log = new LogCapture();
    @AutoClose
    private final HttpTestServer app = new HttpTestServer("app");
    @AutoClose
    private final ScriptedUpstream backend = new ScriptedUpstream("backend");
    @AutoClose
    private final ScriptedUpstream backendV2 = new ScriptedUpstream("backend-v2");
    private TestControlPlane cp;
    private ProxyServer proxy;

    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @AfterEach
    void stop() throws Exception {
        if (proxy != null) {
            proxy.close();
        }
        if (cp != null) {
            cp.close();
        }
    }

    private TestControlPlane controlPlane() {
        cp = new TestControlPlane(dir, clock);
        return cp;
    }

    /** The sidecar web.shop: inbound to the app, an upstream for backend.shop, STRICT, by the control plane. */
    private Snapshot sidecar() {
        return TestMesh.sidecar("web", "shop").inbound(app.address()).upstream("backend.shop").mtls("{mode: STRICT}")
                .controlPlane(cp.address(), cp.tokenFile, cp.bundle, dir.resolve("state")).snapshot();
    }

    private ControlPlaneSettings settings(Duration startTimeout) {
        return new ControlPlaneSettings(clock, new Backoff(Duration.ofMillis(10), Duration.ofMillis(100)),
                new Backoff(Duration.ofMillis(10), Duration.ofMillis(100)), startTimeout, Duration.ofMillis(20),
                Duration.ofSeconds(2));
    }

    private ProxyServer startSidecar() throws Exception {
        proxy = ProxyServer.start(sidecar(), JsonWriter.stdout(), settings(SOON));
        return proxy;
    }

    /** The Service backend.shop, its one endpoint {@code upstream}. */
    private static String backendService(ScriptedUpstream upstream) {
        return TestMesh.service("backend", "shop").endpoint(upstream.address()).yaml();
    }

    private HttpResponse<String> get(InetSocketAddress to, String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + to.getPort() + path))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> callBackend() throws Exception {
        return get(proxy.upstreamAddress("backend.shop"), "/hello");
    }

    private JsonNode configDump() throws Exception {
        return JSON.readTree(get(proxy.adminAddress(), "/config_dump").body());
    }

    private double metric(String name, String... labels) throws Exception {
        return Edge.sample(Edge.scrape(proxy), name, labels);
    }

    private List<DiscoveryRequest> acksAndNacks() {
        return cp.received().stream().filter(r -> r.node() == null).toList();
    }

    // ---- certificates ---------------------------------------------------------------------------------------

    @Test
    void theCertificateComesByCsrAtStartAndTheInboundListenerServesMutualTlsWithIt() throws Exception {
        controlPlane();
        startSidecar();

        assertThat(cp.issued()).hasSize(1);
        Svid svid = proxy.context().identity().current().svid();
        assertThat(svid.id()).isEqualTo(WEB);
        assertThat(svid.leaf().getSerialNumber()).isEqualTo(cp.lastSerial());

        // A peer of the mesh calls the app through the inbound listener: STRICT mTLS with the issued certificate.
        Reply reply = inbound(peer(false));
        assertThat(reply.serial()).isEqualTo(cp.lastSerial());
        assertThat(reply.response()).startsWith("HTTP/1.1 200").endsWith("app");

        // The subscription presented the same certificate, and said who is asking for what.
        eventually(SOON, () -> assertThat(cp.subscribers()).containsExactly(WEB));
        DiscoveryRequest hello = cp.received().get(0);
        assertThat(hello.node().namespace()).isEqualTo("shop");
        assertThat(hello.node().workload()).isEqualTo("web");
        assertThat(hello.node().calls()).containsExactly("backend.shop");
        assertThat(hello.version()).isEmpty();

        // Kept for a restart: the key readable by its owner only.
        Path state = dir.resolve("state");
        assertThat(Pem.readCertificates(state.resolve("workload-chain.pem")).get(0).getSerialNumber())
                .isEqualTo(cp.lastSerial());
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(state.resolve("workload-key.pem"))))
                .isEqualTo("rw-------");
        assertThat(metric("remora_certificate_requests_total", "result", "issued")).isEqualTo(1);
    }

    @Test
    void theCertificateIsRenewedAtHalfItsLifetimeWithANewKey() throws Exception {
        controlPlane();
        startSidecar();
        Svid first = proxy.context().identity().current().svid();

        // Past half the lifetime plus the largest jitter (24h01m × 55 %), still before expiry.
        clock.advance(Duration.ofHours(14));

        eventually(SOON, () -> assertThat(cp.issued()).hasSize(2));
        eventually(SOON, () -> assertThat(proxy.context().identity().current().svid().leaf().getSerialNumber())
                .isEqualTo(cp.lastSerial()));
        Svid second = proxy.context().identity().current().svid();
        assertThat(second.id()).isEqualTo(WEB);
        assertThat(second.leaf().getPublicKey()).isNotEqualTo(first.leaf().getPublicKey());
        assertThat(inbound(peer(true)).serial()).isEqualTo(second.leaf().getSerialNumber());
        eventually(SOON, () -> assertThat(Pem.readCertificates(dir.resolve("state").resolve("workload-chain.pem"))
                .get(0).getSerialNumber()).isEqualTo(second.leaf().getSerialNumber()));
        eventually(SOON, () -> assertThat(log.events("mtls_renewed")).hasSize(1));
    }

    @Test
    void aRefusedTokenFailsStartWithTheControlPlanesReason() throws Exception {
        controlPlane();
        Files.writeString(cp.tokenFile, "stolen-token\n");

        assertThatThrownBy(() -> ProxyServer.start(sidecar(), JsonWriter.stdout(),
                settings(Duration.ofSeconds(1))))
                .isInstanceOf(CertificateException.class)
                .hasMessageContaining("no workload certificate from the control plane at " + cp.address())
                .hasMessageContaining("refused: token not recognised");
        eventually(SOON, () -> assertThat(log.events("certificate_refused")).isNotEmpty().allSatisfy(line ->
                assertThat(line.path("reason").asText()).contains("token not recognised")));
        assertThat(cp.issued()).isEmpty();
    }

    // ---- snapshots ------------------------------------------------------------------------------------------

    @Test
    void aPushedSnapshotRoutesTrafficAndIsAcked() throws Exception {
        controlPlane();
        startSidecar();
        // No config yet: not ready, and the upstream listener knows no service (404 NR).
        assertThat(get(proxy.healthAddress(), "/healthz/ready").statusCode()).isEqualTo(503);
        HttpResponse<String> before = callBackend();
        assertThat(before.statusCode()).isEqualTo(404);
        assertThat(before.headers().firstValue("x-remora-response-flags")).hasValue("NR");

        cp.push("v1", backendService(backend));

        eventually(SOON, () -> assertThat(callBackend().body()).isEqualTo("backend"));
        assertThat(get(proxy.healthAddress(), "/healthz/ready").statusCode()).isEqualTo(200);
        assertThat(proxy.configVersion()).isEqualTo("v1");
        eventually(SOON, () -> assertThat(acksAndNacks()).singleElement().satisfies(ack -> {
            assertThat(ack.isNack()).isFalse();
            assertThat(ack.version()).isEqualTo("v1");
            assertThat(ack.nonce()).isEqualTo("n1");
        }));
        assertThat(metric("remora_control_plane_snapshots_total", "result", "ack")).isEqualTo(1);
        assertThat(metric("remora_control_plane_connected")).isEqualTo(1);
        assertThat(metric("remora_control_plane_last_contact_seconds"))
                .isGreaterThanOrEqualTo(Instant.now().getEpochSecond() - 60);

        JsonNode dump = configDump();
        assertThat(dump.path("version").asText()).isEqualTo("v1");
        JsonNode section = dump.path("control_plane");
        assertThat(section.path("address").asText()).isEqualTo(cp.address());
        assertThat(section.path("connected").asBoolean()).isTrue();
        assertThat(section.path("version").asText()).isEqualTo("v1");
        assertThat(section.path("last_nonce").asText()).isEqualTo("n1");
        assertThat(Instant.parse(section.path("last_contact").asText())).isAfter(Instant.now().minusSeconds(60));
        assertThat(section.path("last_known_good").asText()).isEqualTo(
                dir.resolve("state").resolve(LastKnownGood.FILE).toString());
        assertThat(dump.path("services").get(0).path("metadata").path("name").asText()).isEqualTo("backend");
        assertThat(Files.readString(dir.resolve("state").resolve(LastKnownGood.FILE)))
                .startsWith("# remora last-known-good version: v1\n");
    }

    @Test
    void anInvalidSnapshotIsNackedWithTheValidatorsErrorsAndThePreviousConfigKeepsServing() throws Exception {
        controlPlane();
        startSidecar();
        cp.push("v1", backendService(backend));
        eventually(SOON, () -> assertThat(callBackend().body()).isEqualTo("backend"));

        cp.push("v2", """
                apiVersion: remora.io/v1
                kind: Service
                metadata: {name: backend, namespace: shop}
                spec:
                  endpoints: [{address: 127.0.0.1:1, weight: -3}]
                """);

        eventually(SOON, () -> assertThat(acksAndNacks()).hasSize(2));
        DiscoveryRequest nack = acksAndNacks().get(1);
        assertThat(nack.isNack()).isTrue();
        assertThat(nack.nonce()).isEqualTo("n2");
        assertThat(nack.version()).isEqualTo("v1");
        assertThat(nack.error().reason()).isEqualTo(DiscoveryRequest.Reason.INVALID_CONFIG);
        assertThat(nack.error().detail()).contains("control-plane v2:5:").contains("weight");
        assertThat(proxy.configVersion()).isEqualTo("v1");
        assertThat(callBackend().body()).isEqualTo("backend");
        assertThat(metric("remora_control_plane_snapshots_total", "result", "nack")).isEqualTo(1);
        JsonNode lastNack = configDump().path("control_plane").path("last_nack");
        assertThat(lastNack.path("reason").asText()).isEqualTo("INVALID_CONFIG");
        assertThat(lastNack.path("refused_version").asText()).isEqualTo("v2");
        assertThat(lastNack.path("detail").asText()).contains("control-plane v2:5:");
        assertThat(Files.readString(dir.resolve("state").resolve(LastKnownGood.FILE)))
                .startsWith("# remora last-known-good version: v1\n");
    }

    @Test
    void trafficFlowsWhileTheControlPlaneIsDownAndTheClientComesBackWithIt() throws Exception {
        controlPlane();
        startSidecar();
        cp.push("v1", backendService(backend));
        eventually(SOON, () -> assertThat(callBackend().body()).isEqualTo("backend"));

        cp.stop();
        eventually(SOON, () -> assertThat(metric("remora_control_plane_connected")).isZero());
        for (int i = 0; i < 5; i++) {
            assertThat(callBackend().body()).isEqualTo("backend");
        }
        assertThat(proxy.ready()).isTrue();
        eventually(SOON, () -> assertThat(log.events("control_plane_disconnected")).isNotEmpty());

        cp.push("v2", backendService(backendV2));
        cp.start();

        eventually(SOON, () -> assertThat(callBackend().body()).isEqualTo("backend-v2"));
        assertThat(proxy.configVersion()).isEqualTo("v2");
        assertThat(metric("remora_control_plane_connected")).isEqualTo(1);
        // The second hello told the control plane what the sidecar was running.
        List<DiscoveryRequest> hellos = cp.received().stream().filter(r -> r.node() != null).toList();
        assertThat(hellos).hasSizeGreaterThanOrEqualTo(2);
        assertThat(hellos.get(hellos.size() - 1).version()).isEqualTo("v1");
    }

    @Test
    void aSidecarRestartedWhileTheControlPlaneIsDownServesFromWhatItKept() throws Exception {
        controlPlane();
        startSidecar();
        cp.push("v1", backendService(backend));
        eventually(SOON, () -> assertThat(acksAndNacks()).hasSize(1));
        BigInteger serial = cp.lastSerial();
        proxy.close();
        cp.stop();

        startSidecar();

        assertThat(proxy.configVersion()).isEqualTo("v1");
        assertThat(proxy.ready()).isTrue();
        assertThat(get(proxy.healthAddress(), "/healthz/ready").statusCode()).isEqualTo(200);
        assertThat(callBackend().body()).isEqualTo("backend");
        assertThat(proxy.context().identity().current().svid().leaf().getSerialNumber()).isEqualTo(serial);
        assertThat(inbound(peer(false)).serial()).isEqualTo(serial);
        assertThat(cp.issued()).hasSize(1);
        eventually(SOON, () -> assertThat(log.events("last_known_good_loaded")).hasSize(1));
        eventually(SOON, () -> assertThat(log.events("mtls_identity_restored")).hasSize(1));
        assertThat(configDump().path("control_plane").path("connected").asBoolean()).isFalse();

        cp.start();
        eventually(SOON, () -> assertThat(metric("remora_control_plane_connected")).isEqualTo(1));
        List<DiscoveryRequest> hellos = cp.received().stream().filter(r -> r.node() != null).toList();
        assertThat(hellos.get(hellos.size() - 1).version()).isEqualTo("v1");
    }

    @Test
    void drainingEndsTheSubscription() throws Exception {
        controlPlane();
        startSidecar();
        cp.push("v1", backendService(backend));
        eventually(SOON, () -> assertThat(metric("remora_control_plane_connected")).isEqualTo(1));

        proxy.drain().get(10, java.util.concurrent.TimeUnit.SECONDS);

        eventually(SOON, () -> assertThat(log.events("control_plane_unsubscribed")).hasSize(1));
        assertThat(proxy.controlPlaneStatus().connected()).isFalse();
        assertThat(log.events("control_plane_disconnected")).isEmpty();
    }

    @Test
    void aStaticSidecarsConfigDumpHasNoControlPlaneSection() throws Exception {
        proxy = Edge.start(TestMesh.of(TestMesh.sidecar("web", "shop")));
        assertThat(configDump().has("control_plane")).isFalse();
        assertThat(proxy.controlPlaneStatus()).isNull();
        assertThat(Edge.scrape(proxy)).doesNotContain("remora_control_plane_");
    }

    // ---- a peer of the mesh ---------------------------------------------------------------------------------

    private record Reply(BigInteger serial, String peerId, String response) {
    }

    /** A TLS context presenting an SVID of the mesh; trusting its root, or anything (for a moved clock). */
    private SSLContext peer(boolean trustAnything) throws Exception {
        Svid svid = cp.ca.issue(SpiffeId.workload(TestControlPlane.TRUST_DOMAIN, "shop", "caller"),
                Duration.ofDays(2));
        KeyStore keys = KeyStore.getInstance("PKCS12");
        keys.load(null, null);
        keys.setKeyEntry("svid", svid.key(), new char[0], svid.chain().toArray(X509Certificate[]::new));
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(keys, new char[0]);
        TrustManager[] trust;
        if (trustAnything) {
            trust = new TrustManager[] {new X509TrustManager() {
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
            }};
        } else {
            KeyStore roots = KeyStore.getInstance("PKCS12");
            roots.load(null, null);
            roots.setCertificateEntry("root", cp.ca.certificate());
            javax.net.ssl.TrustManagerFactory tmf = javax.net.ssl.TrustManagerFactory.getInstance(
                    javax.net.ssl.TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(roots);
            trust = tmf.getTrustManagers();
        }
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(kmf.getKeyManagers(), trust, null);
        return ctx;
    }

    /** {@code GET /name} to the app through the inbound listener over mTLS; what the sidecar presented. */
    private Reply inbound(SSLContext ctx) throws Exception {
        InetSocketAddress to = proxy.inboundAddress();
        try (SSLSocket s = (SSLSocket) ctx.getSocketFactory().createSocket(to.getAddress(), to.getPort())) {
            s.setSoTimeout(10_000);
            s.startHandshake();
            X509Certificate leaf = (X509Certificate) s.getSession().getPeerCertificates()[0];
            s.getOutputStream().write("GET /name HTTP/1.1\r\nHost: web\r\nConnection: close\r\n\r\n"
                    .getBytes(StandardCharsets.US_ASCII));
            s.getOutputStream().flush();
            InputStream in = s.getInputStream();
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            in.transferTo(out);
            return new Reply(leaf.getSerialNumber(), X509Svids.uriSans(leaf).get(0),
                    out.toString(StandardCharsets.UTF_8));
        }
    }
}
