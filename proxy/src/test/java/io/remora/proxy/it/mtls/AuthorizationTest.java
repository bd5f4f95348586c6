package io.remora.proxy.it.mtls;

import io.remora.certs.Svid;
import io.remora.config.testing.TestMesh;
import io.remora.proxy.it.edge.Edge;
import io.remora.proxy.testing.HttpTestServer;
import io.remora.proxy.testing.TcpEchoServer;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Authorization by verified identity: on the same path one caller is allowed and another refused (403, flag
 * {@code RBAC}); DENY wins over ALLOW; a plaintext caller never matches a principal; TCP connections are refused
 * by identity too.
 */
@Timeout(60)
class AuthorizationTest {
    private static final String POLICIES = """
            ---
            apiVersion: remora.io/v1
            kind: AuthorizationPolicy
            metadata: {name: callers, namespace: test}
            spec:
              workloads: [server]
              rules:
                - from: {principals: [spiffe://cluster.local/ns/test/sa/client]}
                  to: {paths: [/name, /status/*]}
                - from: {namespaces: [test]}
                  to: {methods: [HEAD]}
            ---
            apiVersion: remora.io/v1
            kind: AuthorizationPolicy
            metadata: {name: no-errors, namespace: test}
            spec:
              action: DENY
              rules: [{to: {paths: [/status/500]}}]
            """;

    @TempDir
    Path dir;

    @AutoClose
    private final HttpTestServer app = new HttpTestServer("app");
    @AutoClose
    private TwoSidecars mesh;

    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @Test
    void oneIdentityIsAllowedAnotherIsRefusedOnTheSamePath() throws Exception {
        Pki pki = new Pki(dir);
        mesh = new TwoSidecars("http", app.address(),
                pki.issue("server", "server", Duration.ofHours(24)).mtls("PERMISSIVE"),
                pki.issue("client", "client", Duration.ofHours(24)).mtls("STRICT"), Pki.id("server").toString(),
                TestMesh.raw(POLICIES));
        assertThat(get("/name").statusCode()).isEqualTo(200);
        assertThat(get("/status/204").statusCode()).isEqualTo(204);
        HttpResponse<String> other = get("/other");
        assertThat(other.statusCode()).isEqualTo(403);

        // DENY wins over the ALLOW that would match.
        HttpResponse<String> denied = get("/status/500");
        assertThat(denied.statusCode()).isEqualTo(403);
        assertThat(denied.headers().firstValue("x-remora-response-flags")).hasValue("RBAC");
        assertThat(denied.body()).contains("matched DENY policy no-errors.test");

        InetSocketAddress inbound = mesh.server.inboundAddress();
        Svid intruder = pki.root.issue(Pki.id("intruder"), Duration.ofHours(1));
        assertThat(statusOver(inbound, pki.clientContext(intruder), "GET", "/name")).isEqualTo(403);
        // The namespace rule lets any workload of namespace test send HEAD.
        assertThat(statusOver(inbound, pki.clientContext(intruder), "HEAD", "/name")).isEqualTo(200);
        // Plaintext (PERMISSIVE): no identity, no principal matches.
        HttpResponse<String> plain = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                + inbound.getPort() + "/name")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(plain.statusCode()).isEqualTo(403);
        assertThat(plain.body()).contains("the caller is not authenticated");

        assertThat(Edge.sample(Edge.scrape(mesh.server), "istio_requests_total", "response_code", "403",
                "response_flags", "RBAC")).isEqualTo(4);
        assertThat(app.requestCount()).isEqualTo(3);
    }

    @Test
    void tcpConnectionsAreRefusedByIdentity() throws Exception {
        try (TcpEchoServer echo = new TcpEchoServer()) {
            Pki pki = new Pki(dir);
            String onlyIntruder = POLICIES.replace("sa/client", "sa/intruder");
            mesh = new TwoSidecars("tcp", echo.address(),
                    pki.issue("server", "server", Duration.ofHours(24)).mtls("STRICT"),
                    pki.issue("client", "client", Duration.ofHours(24)).mtls("STRICT"), Pki.id("server").toString(),
                    TestMesh.raw(onlyIntruder.replace("to: {paths: [/name, /status/*]}", "to: {}")));
            try (java.net.Socket s = new java.net.Socket("127.0.0.1", mesh.entry().getPort())) {
                s.setSoTimeout(10_000);
                s.getOutputStream().write("hello".getBytes(StandardCharsets.US_ASCII));
                assertThat(s.getInputStream().read()).as("closed, nothing echoed").isEqualTo(-1);
            }
        }
    }

    private HttpResponse<String> get(String path) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + mesh.entry().getPort() + path))
                .build(), HttpResponse.BodyHandlers.ofString());
    }

    private static int statusOver(InetSocketAddress to, SSLContext ctx, String method, String path) throws IOException {
        try (SSLSocket s = (SSLSocket) ctx.getSocketFactory().createSocket(to.getAddress(), to.getPort())) {
            s.setSoTimeout(10_000);
            s.getOutputStream().write((method + " " + path + " HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            s.getOutputStream().flush();
            String head = new String(s.getInputStream().readNBytes(12), StandardCharsets.US_ASCII);
            return Integer.parseInt(head.substring(9, 12));
        }
    }
}
