package io.remora.controlplane.it;

import io.remora.certs.Pem;
import io.remora.certs.TrustBundle;
import io.remora.config.testing.TestMesh;
import io.remora.config.testing.TestMesh.ServiceDoc;
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
import java.util.function.Consumer;
import io.remora.controlplane.dashboard.MeshScraper;

/** A control plane on a YAML directory, on free loopback ports, with a CA and bootstrap tokens in {@code dir}. */
public final class MeshFixture implements AutoCloseable {
    private static final String REVIEWS_ID = "spiffe://cluster.local/ns/shop/sa/reviews";

    /** reviews.shop (v1 on 9101, v2 on 9102 and 9103, subsets v1 and v2) and ratings.shop on 9201. */
    public static final String SERVICES = services(9101, 9102, 9103);

    /** The services, reviews.shop on these ports: the first one is v1, the others v2. */
    public static String services(int v1, int... v2) {
        ServiceDoc reviews = TestMesh.service("reviews", "shop").endpoint(TestMesh.loopback(v1), version("v1"));
        for (int port : v2) {
            reviews.endpoint(TestMesh.loopback(port), version("v2"));
        }
        return TestMesh.of(reviews.subset("v1", "{version: v1}").subset("v2", "{version: v2}"),
                TestMesh.service("ratings", "shop").endpoint("127.0.0.1:9201")).yaml();
    }

    private static Consumer<TestMesh.Fields> version(String version) {
        return e -> e.set("labels", "{version: " + version + "}").set("identity", REVIEWS_ID);
    }

    /** The Route splitting reviews.shop between its subsets v1 and v2 by these weights. */
    public static String route(int v1, int v2) {
        return TestMesh.route("reviews", "shop").services("reviews.shop").rule(r -> r.name("split")
                .backend("reviews.shop", "v1", v1).backend("reviews.shop", "v2", v2)).yaml();
    }

    /** Only workloads of namespace shop may call ratings. */
    public static final String POLICY = TestMesh.policy("ratings-callers", "shop").workloads("ratings")
            .rule("{from: {namespaces: [shop]}}").yaml();

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
        this(dir, files, quiet, maxDelay, credentials, null, extra);
    }

    /** {@code dashboard} null: the dashboard's defaults. */
    public MeshFixture(Path dir, boolean files, Duration quiet, Duration maxDelay, CredentialVerifier credentials,
                       MeshScraper.Settings dashboard, MeshSource... extra) throws IOException {
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
                Duration.ofHours(1), quiet, maxDelay, sources, credentials, Clock.systemUTC(), dashboard));
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
