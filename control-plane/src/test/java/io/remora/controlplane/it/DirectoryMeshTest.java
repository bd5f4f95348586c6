package io.remora.controlplane.it;

import io.grpc.StatusRuntimeException;
import io.remora.certs.KeyPairs;
import io.remora.certs.X509Svids;
import io.remora.config.ConfigLoader;
import io.remora.config.Snapshot;
import io.remora.protocol.DiscoveryRequest;
import io.remora.protocol.DiscoveryResponse;
import io.remora.protocol.Node;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static io.remora.config.testing.Eventually.eventually;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The control plane on a YAML directory, with sidecars reduced to the protocol, over real TLS sockets. */
class DirectoryMeshTest {
    @TempDir
    Path dir;
    private MeshFixture mesh;
    private final List<AutoCloseable> closing = new java.util.ArrayList<>();

    @AfterEach
    void close() throws Exception {
        for (AutoCloseable c : closing) {
            c.close();
        }
        if (mesh != null) {
            mesh.close();
        }
    }

    private TestSidecar sidecar(String workload, List<String> calls, String running) throws Exception {
        TestSidecar s = new TestSidecar(mesh.server.port(), mesh.bundle, mesh.token("shop", workload),
                new Node("shop", workload, calls), running, TestSidecar::ack);
        closing.add(s);
        return s;
    }

    private static Snapshot parse(DiscoveryResponse r) throws Exception {
        return ConfigLoader.parse("push", r.resources(), Map.of());
    }

    private static int weightOfV1(Snapshot s) {
        return s.routes().get(0).spec().rules().get(0).backends().get(0).weight();
    }

    @Test
    void eachSidecarGetsWhatItNeedsAndAChangeInTheDirectoryReachesOnlyThoseItConcerns() throws Exception {
        mesh = new MeshFixture(dir, Duration.ofMillis(20), Duration.ofMillis(200));
        TestSidecar web = sidecar("web", List.of("reviews.shop"), null);
        TestSidecar ratings = sidecar("ratings", List.of(), null);

        Snapshot forWeb = parse(web.next());
        assertThat(forWeb.services()).extracting(s -> s.key()).containsExactly("reviews.shop");
        assertThat(weightOfV1(forWeb)).isEqualTo(90);
        assertThat(forWeb.authorizationPolicies()).isEmpty();
        Snapshot forRatings = parse(ratings.next());
        assertThat(forRatings.services()).isEmpty();
        assertThat(forRatings.authorizationPolicies()).extracting(p -> p.metadata().name())
                .containsExactly("ratings-callers");

        Files.writeString(mesh.mesh.resolve("20-routes.yaml"), MeshFixture.route(10, 90));
        assertThat(weightOfV1(parse(web.next()))).isEqualTo(10);
        // The route change does not concern the ratings sidecar: nothing is pushed to it.
        assertThat(ratings.received.poll(500, TimeUnit.MILLISECONDS)).isNull();
        assertThat(mesh.scrape()).contains("remora_cp_connected_proxies 2.0")
                .containsPattern("remora_cp_pushes_skipped_total [1-9]")
                .containsPattern("remora_cp_convergence_seconds_count [1-9]");
    }

    @Test
    void aBrokenFileIsRejectedAloneWhileAValidChangeInAnotherLands() throws Exception {
        mesh = new MeshFixture(dir, Duration.ofMillis(20), Duration.ofMillis(200));
        TestSidecar web = sidecar("web", List.of("reviews.shop"), null);
        web.next();

        Files.writeString(mesh.mesh.resolve("30-policies.yaml"), MeshFixture.POLICY.replace("namespaces: [shop]",
                "namespaces: [shop], nonsense: 1"));
        java.nio.file.Path routes = Files.writeString(dir.resolve("20-routes.yaml.staged"), MeshFixture.route(50, 50));
        Files.move(routes, mesh.mesh.resolve("20-routes.yaml"), java.nio.file.StandardCopyOption.ATOMIC_MOVE,
                java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        assertThat(weightOfV1(parse(web.next()))).isEqualTo(50);
        assertThat(mesh.scrape()).contains("remora_cp_config_rejected_origins 1.0")
                .contains("remora_cp_config_rejected_total{source=\"directory\"} 1.0");
        // The policy file's last good content stays in use for the sidecar it concerns.
        TestSidecar ratings = sidecar("ratings", List.of(), null);
        assertThat(parse(ratings.next()).authorizationPolicies()).hasSize(1);
    }

    @Test
    void aFileOverTheSizeLimitIsRejectedAloneUnreadWhileAValidChangeInAnotherLands() throws Exception {
        mesh = new MeshFixture(dir, Duration.ofMillis(20), Duration.ofMillis(200));
        TestSidecar web = sidecar("web", List.of("reviews.shop"), null);
        web.next();

        // Valid YAML, a policy for nobody, then 10 MiB of comments: refused by size, not parsed.
        StringBuilder big = new StringBuilder(MeshFixture.POLICY.replace("namespaces: [shop]", "namespaces: [none]"));
        String filler = "# " + "x".repeat(1021) + "\n";
        while (big.length() < 10 * 1024 * 1024) {
            big.append(filler);
        }
        // Moved in whole: written in place, the watcher could read its first (valid, small) megabytes.
        java.nio.file.Path staged = Files.writeString(dir.resolve("30-policies.yaml.staged"), big);
        Files.move(staged, mesh.mesh.resolve("30-policies.yaml"), java.nio.file.StandardCopyOption.ATOMIC_MOVE,
                java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        java.nio.file.Path routes = Files.writeString(dir.resolve("20-routes.yaml.staged"), MeshFixture.route(50, 50));
        Files.move(routes, mesh.mesh.resolve("20-routes.yaml"), java.nio.file.StandardCopyOption.ATOMIC_MOVE,
                java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        assertThat(weightOfV1(parse(web.next()))).isEqualTo(50);
        assertThat(mesh.scrape()).contains("remora_cp_config_rejected_origins 1.0")
                .contains("remora_cp_config_rejected_total{source=\"directory\"} 1.0");
        TestSidecar ratings = sidecar("ratings", List.of(), null);
        assertThat(parse(ratings.next()).authorizationPolicies()).singleElement()
                .satisfies(p -> assertThat(p.spec().rules().get(0).from().namespaces()).containsExactly("shop"));
    }

    @Test
    void aNackIsCountedByReasonAndTheSameSnapshotIsNotSentAgain() throws Exception {
        mesh = new MeshFixture(dir, Duration.ofMillis(20), Duration.ofMillis(200));
        TestSidecar web = new TestSidecar(mesh.server.port(), mesh.bundle, mesh.token("shop", "web"),
                new Node("shop", "web", List.of("reviews.shop")), null,
                // A sidecar refuses only what its validator refuses (it applies what the validator indexed, so it
                // never answers APPLY_FAILED to a validated snapshot): an older sidecar, say, not knowing a field.
                r -> DiscoveryRequest.nack("", r.nonce(), DiscoveryRequest.Reason.INVALID_CONFIG,
                        "control-plane v1:5:3: spec.newField: unknown field"));
        closing.add(web);
        web.next();
        eventually(Duration.ofSeconds(2),
                () -> assertThat(mesh.scrape()).contains("remora_cp_nacks_total{reason=\"invalid_config\"} 1.0"));
        assertThat(mesh.server.proxies()).singleElement().satisfies(p -> assertThat(p.nacked()).isNotNull());
        // A later change is a new snapshot and is sent.
        Files.writeString(mesh.mesh.resolve("20-routes.yaml"), MeshFixture.route(60, 40));
        assertThat(weightOfV1(parse(web.next()))).isEqualTo(60);
    }

    @Test
    void aReconnectingSidecarIsGreetedWithTheVersionItRunsAndNoConvergenceIsCountedForIt() throws Exception {
        mesh = new MeshFixture(dir, Duration.ofMillis(20), Duration.ofMillis(200));
        TestSidecar first = sidecar("web", List.of("reviews.shop"), null);
        String version = first.next().version();
        TestSidecar restarted = sidecar("web", List.of("reviews.shop"), version);
        assertThat(restarted.next().version()).isEqualTo(version);
        assertThat(mesh.scrape()).contains("remora_cp_convergence_seconds_count 0");
    }

    @Test
    void anEndpointRemovalIsPushedAtOnceTakingHeldChangesAlong() throws Exception {
        mesh = new MeshFixture(dir, Duration.ofHours(1), Duration.ofHours(1));
        TestSidecar web = sidecar("web", List.of("reviews.shop"), null);
        web.next();
        Files.writeString(mesh.mesh.resolve("20-routes.yaml"), MeshFixture.route(30, 70));
        assertThat(web.received.poll(300, TimeUnit.MILLISECONDS)).as("held by the quiet period").isNull();
        Files.writeString(mesh.mesh.resolve("10-services.yaml"), MeshFixture.services(9101, 9103));
        Snapshot pushed = parse(web.next());
        assertThat(pushed.services().get(0).spec().endpoints()).hasSize(2);
        assertThat(weightOfV1(pushed)).isEqualTo(30);
    }

    @Test
    void certificatesNameTheIdentityOfTheTokenAndBadCredentialsAreRefusedWithTheReason() throws Exception {
        mesh = new MeshFixture(dir, Duration.ofMillis(20), Duration.ofMillis(200));
        var chain = TestSidecar.sign(mesh.server.port(), mesh.bundle, mesh.token("shop", "web"), KeyPairs.ecP256());
        assertThat(X509Svids.uriSans(chain.get(0))).containsExactly("spiffe://cluster.local/ns/shop/sa/web");

        assertThatThrownBy(() -> TestSidecar.sign(mesh.server.port(), mesh.bundle, "wrong", KeyPairs.ecP256()))
                .isInstanceOf(StatusRuntimeException.class)
                .hasMessageContaining("UNAUTHENTICATED").hasMessageContaining("bootstrap token is not known")
                // An unauthenticated caller learns neither where the tokens are kept nor how many there are.
                .hasMessageNotContaining(dir.toString()).hasMessageNotContaining("known)");
        assertThatThrownBy(() -> TestSidecar.sign(mesh.server.port(), mesh.bundle, null, KeyPairs.ecP256()))
                .isInstanceOf(StatusRuntimeException.class)
                .hasMessageContaining("no credential");
        assertThat(mesh.scrape()).contains("remora_cp_certificates_total{result=\"issued\"} 1.0")
                .contains("remora_cp_certificates_total{result=\"refused_credential\"} 1.0");
    }

    @Test
    void noWorkloadGetsTheControlPlanesIdentityWhateverItsToken() throws Exception {
        mesh = new MeshFixture(dir, Duration.ofMillis(20), Duration.ofMillis(200));
        String token = mesh.token("tenant", "remora-control-plane");
        assertThatThrownBy(() -> TestSidecar.sign(mesh.server.port(), mesh.bundle, token, KeyPairs.ecP256()))
                .isInstanceOf(StatusRuntimeException.class)
                .hasMessageContaining("PERMISSION_DENIED").hasMessageContaining("is the control plane's");
    }

    @Test
    void aDirectoryThatGoesMissingKeepsTheMeshInsteadOfEmptyingIt() throws Exception {
        mesh = new MeshFixture(dir, Duration.ofMillis(20), Duration.ofMillis(200));
        TestSidecar web = sidecar("web", List.of("reviews.shop"), null);
        web.next();
        Path aside = dir.resolve("mesh-aside");
        Files.move(mesh.mesh, aside);
        assertThat(web.received.poll(600, TimeUnit.MILLISECONDS)).as("nothing pushed while it is gone").isNull();
        Files.createDirectories(mesh.mesh);
        Files.writeString(mesh.mesh.resolve("10-services.yaml"), MeshFixture.SERVICES);
        Files.writeString(mesh.mesh.resolve("20-routes.yaml"), MeshFixture.route(40, 60));
        Files.writeString(mesh.mesh.resolve("30-policies.yaml"), MeshFixture.POLICY);
        assertThat(weightOfV1(parse(web.next()))).isEqualTo(40);
    }

    @Test
    void subscribingNeedsTheWorkloadCertificateOfTheNamespace() throws Exception {
        mesh = new MeshFixture(dir, Duration.ofMillis(20), Duration.ofMillis(200));
        TestSidecar other = new TestSidecar(mesh.server.port(), mesh.bundle, mesh.token("billing", "web"),
                new Node("shop", "web", null), null, TestSidecar::ack);
        closing.add(other);
        Throwable error = other.errors.poll(10, TimeUnit.SECONDS);
        assertThat(error).hasMessageContaining("PERMISSION_DENIED").hasMessageContaining("is not of namespace shop");
    }
}
