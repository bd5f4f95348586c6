package io.remora.controlplane.it;

import io.remora.certs.Pem;
import io.remora.certs.TrustBundle;
import io.remora.controlplane.ControlPlaneServer;
import io.remora.controlplane.ca.BootstrapTokens;
import io.remora.controlplane.ca.CredentialVerifier;
import io.remora.controlplane.source.DirectorySource;
import io.remora.controlplane.source.MeshSource;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;

/** A control plane on a YAML directory, on free loopback ports, with a CA and bootstrap tokens in {@code dir}. */
public final class MeshFixture implements AutoCloseable {
    public static final String SERVICES = """
            apiVersion: remora.io/v1
            kind: Service
            metadata: {name: reviews, namespace: shop}
            spec:
              endpoints:
                - {address: 127.0.0.1:9101, labels: {version: v1}, identity: spiffe://cluster.local/ns/shop/sa/reviews}
                - {address: 127.0.0.1:9102, labels: {version: v2}, identity: spiffe://cluster.local/ns/shop/sa/reviews}
                - {address: 127.0.0.1:9103, labels: {version: v2}, identity: spiffe://cluster.local/ns/shop/sa/reviews}
              subsets:
                - {name: v1, labels: {version: v1}}
                - {name: v2, labels: {version: v2}}
            ---
            apiVersion: remora.io/v1
            kind: Service
            metadata: {name: ratings, namespace: shop}
            spec:
              endpoints: [{address: 127.0.0.1:9201}]
            """;

    public static String route(int v1, int v2) {
        return """
                apiVersion: remora.io/v1
                kind: Route
                metadata: {name: reviews, namespace: shop}
                spec:
                  services: [reviews.shop]
                  rules:
                    - name: split
                      backends:
                        - {service: reviews.shop, subset: v1, weight: %d}
                        - {service: reviews.shop, subset: v2, weight: %d}
                """.formatted(v1, v2);
    }

    public static final String POLICY = """
            apiVersion: remora.io/v1
            kind: AuthorizationPolicy
            metadata: {name: ratings-callers, namespace: shop}
            spec:
              workloads: [ratings]
              rules: [{from: {namespaces: [shop]}}]
            """;

    public final Path dir;
    public final Path mesh;
    public final Path tokens;
    public final ControlPlaneServer server;
    public final TrustBundle bundle;

    public MeshFixture(Path dir, Duration quiet, Duration maxDelay, MeshSource... extra) throws IOException {
        this(dir, true, quiet, maxDelay, extra);
    }

    /** With {@code files} false the directory starts empty: the other sources hold the mesh. */
    public MeshFixture(Path dir, boolean files, Duration quiet, Duration maxDelay, MeshSource... extra)
            throws IOException {
        this(dir, files, quiet, maxDelay, null, extra);
    }

    /** {@code credentials} null: bootstrap tokens in {@code dir/tokens}. */
    public MeshFixture(Path dir, boolean files, Duration quiet, Duration maxDelay, CredentialVerifier credentials,
                       MeshSource... extra) throws IOException {
        this.dir = dir;
        this.mesh = Files.createDirectories(dir.resolve("mesh"));
        if (files) {
            Files.writeString(mesh.resolve("10-services.yaml"), SERVICES);
            Files.writeString(mesh.resolve("20-routes.yaml"), route(90, 10));
            Files.writeString(mesh.resolve("30-policies.yaml"), POLICY);
        }
        this.tokens = dir.resolve("tokens");
        Files.writeString(tokens, "# namespace/serviceAccount token\n");
        List<MeshSource> sources = new java.util.ArrayList<>(List.of(
                new DirectorySource(List.of(mesh), Clock.systemUTC(), 20)));
        sources.addAll(List.of(extra));
        if (credentials == null) {
            credentials = new BootstrapTokens(tokens);
        }
        this.server = ControlPlaneServer.start(new ControlPlaneServer.Options(new InetSocketAddress("127.0.0.1", 0),
                new InetSocketAddress("127.0.0.1", 0), dir.resolve("ca"), "cluster.local", "remora-system",
                Duration.ofHours(1), quiet, maxDelay, sources, credentials, Clock.systemUTC()));
        this.bundle = TrustBundle.of("root.pem", Pem.readCertificates(dir.resolve("ca").resolve("root.pem")));
    }

    public String token(String namespace, String serviceAccount) throws IOException {
        return BootstrapTokens.add(tokens, namespace, serviceAccount);
    }

    public String scrape() {
        return server.metrics().scrape();
    }

    @Override
    public void close() {
        server.close();
    }
}
