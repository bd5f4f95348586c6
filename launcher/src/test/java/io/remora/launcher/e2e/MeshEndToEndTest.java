package io.remora.launcher.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.remora.certs.CertificateException;
import io.remora.controlplane.ControlPlaneServer;
import io.remora.controlplane.push.PushService;
import io.remora.proxy.ProxyServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.math.BigInteger;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;

import static io.remora.config.testing.Eventually.eventually;
import static io.remora.launcher.e2e.LocalMesh.CALLER_A;
import static io.remora.launcher.e2e.LocalMesh.CALLER_B;
import static io.remora.launcher.e2e.LocalMesh.HELLO_V1;
import static io.remora.launcher.e2e.LocalMesh.HELLO_V2;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The real control plane and real sidecars, in process on loopback sockets ({@link LocalMesh}): a change in the YAML
 * directory reaches every caller and shifts its traffic; a broken file is rejected alone while a valid change lands;
 * the control plane can die and come back without costing a request; a sidecar restarted while it is down serves
 * from what it kept; certificates name the identity the bootstrap token proves; and a control plane that starts
 * again greets the sidecars with what its sources hold, never with the empty mesh it starts from.
 */
@Timeout(90)
class MeshEndToEndTest {
    /** Bound of every wait for something to happen (a push, a reconnect). */
    private static final Duration SOON = Duration.ofSeconds(15);
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    private LocalMesh mesh;

    @AfterEach
    void close() {
        if (mesh != null) {
            mesh.close();
        }
    }

    private static Map<String, PushService.ProxyStatus> byWorkload(ControlPlaneServer server) {
        return server.proxies().stream().collect(Collectors.toMap(PushService.ProxyStatus::workload, p -> p,
                (x, y) -> x));
    }

    private JsonNode json(HttpResponse<String> r) throws IOException {
        assertThat(r.statusCode()).as(r.uri() + " answers 200").isEqualTo(200);
        return JSON.readTree(r.body());
    }

    private JsonNode configDump(ProxyServer p) throws Exception {
        return json(mesh.get(p.adminAddress(), "/config_dump"));
    }

    private static double configApplied(ProxyServer p) {
        return p.registry().get("remora.config.applied").counter().count();
    }

    // ---- 1 --------------------------------------------------------------------------------------------------

    @Test
    void aRouteChangeInTheDirectoryReachesBothCallersAndShiftsTheirTraffic() throws Exception {
        mesh = LocalMesh.start(dir, 100, 0);
        assertThat(mesh.versions(CALLER_A, 20)).isEqualTo(Map.of("v1", 20));
        assertThat(mesh.versions(CALLER_B, 20)).isEqualTo(Map.of("v1", 20));
        String before = mesh.sidecar(CALLER_A).configVersion();

        mesh.writeRoute(0, 100);

        eventually(SOON, "caller-a serves only v2", () -> mesh.allServedBy(CALLER_A, "v2", 10));
        eventually(SOON, "caller-b serves only v2", () -> mesh.allServedBy(CALLER_B, "v2", 10));
        assertThat(mesh.versions(CALLER_A, 20)).isEqualTo(Map.of("v2", 20));
        assertThat(mesh.versions(CALLER_B, 20)).isEqualTo(Map.of("v2", 20));
        String after = mesh.sidecar(CALLER_A).configVersion();
        assertThat(after).isNotEqualTo(before);
        // Both callers need the same thing (hello.demo and its route), so they run the same cut of the mesh.
        assertThat(mesh.sidecar(CALLER_B).configVersion()).isEqualTo(after);

        // The control plane knows the four sidecars and that both callers ACKed the new version.
        ControlPlaneServer server = mesh.controlPlane();
        eventually(SOON, "the control plane lists four sidecars, the callers running " + after, () -> {
            Map<String, PushService.ProxyStatus> proxies = byWorkload(server);
            return proxies.keySet().equals(Set.copyOf(LocalMesh.SIDECARS))
                    && after.equals(proxies.get(CALLER_A).running()) && after.equals(proxies.get(CALLER_B).running());
        });
        Map<String, PushService.ProxyStatus> proxies = byWorkload(server);
        assertThat(proxies.get(HELLO_V1).running()).isEqualTo(mesh.sidecar(HELLO_V1).configVersion());
        assertThat(proxies.get(HELLO_V2).running()).isEqualTo(mesh.sidecar(HELLO_V2).configVersion());
        assertThat(proxies.values()).allSatisfy(p -> assertThat(p.nacked()).isNull());

        // The same over the admin port, as an operator sees it.
        JsonNode debug = json(mesh.get(server.adminPort(), "/debug/proxies"));
        List<String> workloads = new ArrayList<>();
        debug.path("proxies").forEach(p -> {
            workloads.add(p.path("workload").asText());
            if (p.path("workload").asText().startsWith("caller-")) {
                assertThat(p.path("running").asText()).isEqualTo(after);
            }
        });
        assertThat(workloads).containsExactlyInAnyOrderElementsOf(LocalMesh.SIDECARS);
        assertThat(mesh.scrape()).containsPattern("remora_cp_convergence_seconds_count [1-9]")
                .contains("remora_cp_connected_proxies 4.0");
    }

    // ---- 2 --------------------------------------------------------------------------------------------------

    @Test
    void anInvalidFileIsRejectedAloneWhileAValidChangeInAnotherLands() throws Exception {
        mesh = LocalMesh.start(dir, 100, 0);
        String v1Running = mesh.sidecar(HELLO_V1).configVersion();
        String v2Running = mesh.sidecar(HELLO_V2).configVersion();
        assertThat(mesh.versions(CALLER_A, 10)).isEqualTo(Map.of("v1", 10));

        // The policy part of hello.yaml gets an unknown field, and the weights change, in the same moment.
        Path hello = mesh.mesh.resolve("hello.yaml");
        String broken = Files.readString(hello).replace("{from: {namespaces: [demo]}}",
                "{from: {namespaces: [demo]}, nonsense: 1}");
        assertThat(broken).isNotEqualTo(Files.readString(hello));
        Files.writeString(hello, broken);
        mesh.writeRoute(0, 100);

        eventually(SOON, "caller-a serves only v2", () -> mesh.allServedBy(CALLER_A, "v2", 10));
        eventually(SOON, "caller-b serves only v2", () -> mesh.allServedBy(CALLER_B, "v2", 10));
        eventually(SOON, "the rejection is counted",
                () -> mesh.scrape().contains("remora_cp_config_rejected_origins 1.0"));
        assertThat(mesh.scrape()).contains("remora_cp_config_rejected_total{source=\"directory\"} 1.0");

        // hello.yaml's last good content stays: the service sidecars still run the policy letting demo call them,
        // unchanged (nothing was pushed to them), and the Service is still there for the callers.
        for (String name : List.of(HELLO_V1, HELLO_V2)) {
            ProxyServer p = mesh.sidecar(name);
            assertThat(p.context().routes().snapshot().authorizationPolicies())
                    .extracting(a -> a.metadata().name()).containsExactly("callers");
        }
        assertThat(mesh.sidecar(HELLO_V1).configVersion()).isEqualTo(v1Running);
        assertThat(mesh.sidecar(HELLO_V2).configVersion()).isEqualTo(v2Running);

        // A later change lands too while the file stays broken, and STRICT hello-v1 accepts the callers again.
        mesh.writeRoute(100, 0);
        eventually(SOON, "caller-a serves only v1", () -> mesh.allServedBy(CALLER_A, "v1", 10));
        eventually(SOON, "caller-b serves only v1", () -> mesh.allServedBy(CALLER_B, "v1", 10));
        assertThat(mesh.scrape()).contains("remora_cp_config_rejected_origins 1.0")
                .contains("remora_cp_config_rejected_total{source=\"directory\"} 1.0");
    }

    // ---- 3 --------------------------------------------------------------------------------------------------

    /**
     * Requests sent one after another through a caller, on their own thread; every answer but the expected
     * version's is a failure (counted; the first few kept, with when they happened).
     */
    private static final class Traffic implements AutoCloseable {
        private final AtomicBoolean running = new AtomicBoolean(true);
        private final AtomicLong ok = new AtomicLong();
        private final AtomicLong failed = new AtomicLong();
        private final List<String> firstFailures = Collections.synchronizedList(new ArrayList<>());
        private final Thread thread;

        Traffic(LocalMesh mesh, String caller, String expected) {
            thread = new Thread(() -> {
                while (running.get()) {
                    String got;
                    try {
                        got = LocalMesh.versionOf(mesh.call(caller));
                    } catch (IOException e) {
                        got = e.toString();
                    } catch (InterruptedException e) {
                        return;
                    }
                    if (got.equals(expected)) {
                        ok.incrementAndGet();
                    } else {
                        failed.incrementAndGet();
                        if (firstFailures.size() < 5) {
                            firstFailures.add(java.time.Instant.now() + " " + got);
                        }
                    }
                }
            }, "e2e-traffic-" + caller);
            thread.setDaemon(true);
            thread.start();
        }

        long ok() {
            return ok.get();
        }

        /** Waits until {@code more} further requests succeeded (or one failed: the test then says so). */
        void progress(int more) throws Exception {
            long target = ok() + more;
            eventually(SOON, more + " more requests", () -> ok() >= target || failed.get() > 0);
        }

        long failed() {
            return failed.get();
        }

        /** How many failed, and the first few. */
        String failures() {
            return failed.get() + " of " + (failed.get() + ok.get()) + " failed, first: " + firstFailures;
        }

        /** Stops sending and waits for the request in flight. */
        void stop() throws InterruptedException {
            running.set(false);
            thread.join(10_000);
        }

        @Override
        public void close() {
            running.set(false);
        }
    }

    @Test
    void theControlPlaneDyingAndComingBackCostsNoRequest() throws Exception {
        mesh = LocalMesh.start(dir, 100, 0);
        ProxyServer a = mesh.sidecar(CALLER_A);
        String running = a.configVersion();
        double applied = configApplied(a);
        try (Traffic traffic = new Traffic(mesh, CALLER_A, "v1")) {
            traffic.progress(20);

            mesh.stopControlPlane();
            eventually(SOON, "caller-a notices the control plane is gone", () -> !a.controlPlaneStatus().connected());
            long downAt = System.nanoTime();
            traffic.progress(20);
            // About a second without a control plane, with requests flowing all along.
            eventually(SOON, "a second passes", () -> System.nanoTime() - downAt >= 1_000_000_000L);
            traffic.progress(1);
            assertThat(a.ready()).isTrue();

            ControlPlaneServer server = mesh.startControlPlane();
            eventually(SOON, "caller-a reconnects", () -> a.controlPlaneStatus().connected()
                    && running.equals(byWorkload(server).getOrDefault(CALLER_A, idle()).running()));
            traffic.progress(20);
            traffic.stop();
            assertThat(traffic.failed()).as("requests that failed around the restart: " + traffic.failures())
                    .isZero();
            assertThat(traffic.ok()).isGreaterThanOrEqualTo(60);
        }
        // The new control plane confirmed the version caller-a runs: nothing else was applied on the way.
        assertThat(a.configVersion()).isEqualTo(running);
        assertThat(configApplied(a)).as("snapshots applied by caller-a across the restart").isEqualTo(applied);

        // A change made after the restart reaches caller-a: it is subscribed again, and converges.
        mesh.writeRoute(0, 100);
        eventually(SOON, "caller-a serves only v2", () -> mesh.allServedBy(CALLER_A, "v2", 10));
        String after = a.configVersion();
        eventually(SOON, "the new control plane sees caller-a's ACK",
                () -> after.equals(byWorkload(mesh.controlPlane()).get(CALLER_A).running()));
        assertThat(mesh.scrape()).containsPattern("remora_cp_convergence_seconds_count [1-9]");
    }

    private static PushService.ProxyStatus idle() {
        return new PushService.ProxyStatus("", "", "", "", null, null, null, null, null, false, null, null);
    }

    // ---- 4 --------------------------------------------------------------------------------------------------

    @Test
    void aSidecarRestartedWhileTheControlPlaneIsDownServesFromWhatItKept() throws Exception {
        mesh = LocalMesh.start(dir, 100, 0);
        ProxyServer before = mesh.sidecar(CALLER_B);
        String version = before.configVersion();
        BigInteger serial = before.context().identity().current().svid().leaf().getSerialNumber();
        eventually(SOON, "caller-b's last-known-good is written",
                () -> Files.readString(mesh.state.resolve(CALLER_B).resolve("last-known-good.yaml"))
                        .startsWith("# remora last-known-good version: " + version + "\n"));

        mesh.stopControlPlane();
        mesh.stopSidecar(CALLER_B);
        ProxyServer b = mesh.startSidecar(CALLER_B);

        // Ready at once, on the kept config and certificate.
        assertThat(b.ready()).isTrue();
        assertThat(b.configVersion()).isEqualTo(version);
        assertThat(mesh.get(b.healthAddress(), "/healthz/ready").statusCode()).isEqualTo(200);
        assertThat(b.context().identity().current().svid().leaf().getSerialNumber()).isEqualTo(serial);
        // Over mTLS to the STRICT service sidecar with the kept certificate.
        assertThat(mesh.versions(CALLER_B, 20)).isEqualTo(Map.of("v1", 20));
        JsonNode section = configDump(b).path("control_plane");
        assertThat(section.path("connected").asBoolean()).isFalse();
        assertThat(section.path("version").asText()).isEqualTo(version);

        ControlPlaneServer server = mesh.startControlPlane();
        eventually(SOON, "caller-b reconnects", () -> b.controlPlaneStatus().connected());
        eventually(SOON, "caller-b's config dump says connected",
                () -> configDump(b).path("control_plane").path("connected").asBoolean());
        eventually(SOON, "the control plane sees caller-b running " + version,
                () -> version.equals(byWorkload(server).getOrDefault(CALLER_B, idle()).running()));
        assertThat(b.configVersion()).isEqualTo(version);
        assertThat(b.context().identity().current().svid().leaf().getSerialNumber()).isEqualTo(serial);
        assertThat(mesh.versions(CALLER_B, 10)).isEqualTo(Map.of("v1", 10));

        // And it follows changes again.
        mesh.writeRoute(0, 100);
        eventually(SOON, "caller-b serves only v2", () -> mesh.allServedBy(CALLER_B, "v2", 10));
    }

    // ---- 5 --------------------------------------------------------------------------------------------------

    @Test
    void certificatesAreIssuedByCsrForTheIdentityOfTheTokenAndAWrongTokenFailsStart() throws Exception {
        mesh = LocalMesh.start(dir, 100, 0);
        for (String name : LocalMesh.SIDECARS) {
            ProxyServer p = mesh.sidecar(name);
            String id = "spiffe://cluster.local/ns/demo/sa/" + LocalMesh.ACCOUNTS.get(name);
            JsonNode certs = json(mesh.get(p.adminAddress(), "/certs"));
            assertThat(certs.path("spiffe_id").asText()).as(name + "'s SPIFFE ID").isEqualTo(id);
            assertThat(certs.path("mtls").asText()).isEqualTo(name.startsWith("hello-") ? "STRICT" : "PERMISSIVE");
            assertThat(certs.path("certificates").get(0).path("role").asText()).isEqualTo("workload");
            assertThat(certs.path("certificates").get(0).path("uri_sans").asText()).isEqualTo(id);
            assertThat(mesh.get(p.metricsAddress(), "/stats/prometheus").body())
                    .containsPattern("remora_certificate_requests_total\\{[^}]*result=\"issued\"[^}]*} 1.0");
        }
        // caller-a's Sidecar is named caller-a, its token is for demo/caller: the token decides.
        assertThat(byWorkload(mesh.controlPlane()).get(CALLER_A).id()).isEqualTo("spiffe://cluster.local/ns/demo/sa/caller");
        assertThat(mesh.scrape()).contains("remora_cp_certificates_total{result=\"issued\"} 4.0");
        // The STRICT sidecar saw the caller's certificate: its metrics name the caller's identity.
        assertThat(mesh.versions(CALLER_A, 5)).isEqualTo(Map.of("v1", 5));
        eventually(SOON, "hello-v1's metrics name caller-a's identity as the source", () -> mesh.get(
                mesh.sidecar(HELLO_V1).metricsAddress(), "/stats/prometheus").body()
                .contains("source_principal=\"spiffe://cluster.local/ns/demo/sa/caller\""));

        // A sidecar whose token the control plane does not know cannot start, and says why.
        Files.writeString(mesh.tokens.resolve("intruder"), "not-a-token-of-this-mesh\n");
        Files.writeString(mesh.sidecarFile("intruder"), mesh.caller("intruder", LocalMesh.freePort(), "intruder"));
        assertThatThrownBy(() -> mesh.startSidecar("intruder", LocalMesh.settings(Duration.ofSeconds(2))))
                .isInstanceOf(CertificateException.class)
                .hasMessageContaining("no workload certificate from the control plane at 127.0.0.1:"
                        + mesh.controlPlanePort)
                .hasMessageContaining("bootstrap token is not known to the control plane");
        assertThat(mesh.scrape()).containsPattern("remora_cp_certificates_total\\{result=\"refused_credential\"} [1-9]")
                .contains("remora_cp_certificates_total{result=\"issued\"} 4.0");
        assertThat(Files.exists(mesh.state.resolve("intruder").resolve("workload-chain.pem"))).isFalse();
    }

    // ---- 6 --------------------------------------------------------------------------------------------------

    /**
     * A control plane that starts again must greet the sidecars with what its sources hold. Its debounce applies to
     * changes; here its quiet period is long (2 s, where production waits 100 ms) so that every reconnect surely
     * lands before the first mesh is due: the greeting must not be the empty mesh it starts with, which would take
     * hello.demo from the callers (404 NR), the AuthorizationPolicy from the STRICT services (everything allowed),
     * and would be kept as their last-known-good.
     */
    @Test
    void aRestartedControlPlaneGreetsSidecarsWithItsSourcesNeverWithAnEmptyMesh() throws Exception {
        mesh = LocalMesh.start(dir, 100, 0);
        ProxyServer a = mesh.sidecar(CALLER_A);
        ProxyServer v1 = mesh.sidecar(HELLO_V1);
        String callerVersion = a.configVersion();
        String serviceVersion = v1.configVersion();
        double callerApplied = configApplied(a);
        double serviceApplied = configApplied(v1);
        mesh.stopControlPlane();
        eventually(SOON, "caller-a notices the control plane is gone", () -> !a.controlPlaneStatus().connected());
        eventually(SOON, "hello-v1 notices the control plane is gone", () -> !v1.controlPlaneStatus().connected());

        mesh.quiet = Duration.ofSeconds(2);
        mesh.maxDelay = Duration.ofSeconds(3);
        long failed;
        String failures;
        Map<String, PushService.ProxyStatus> greeted;
        List<String> policiesAfterGreeting;
        String keptAfterGreeting;
        try (Traffic traffic = new Traffic(mesh, CALLER_A, "v1")) {
            traffic.progress(10);
            ControlPlaneServer server = mesh.startControlPlane();
            // Reconnected and greeted: each has answered the greeting, so the control plane knows what it runs.
            eventually(SOON, "caller-a and hello-v1 reconnect and answer the greeting", () -> {
                Map<String, PushService.ProxyStatus> proxies = byWorkload(server);
                return a.controlPlaneStatus().connected() && v1.controlPlaneStatus().connected()
                        && !proxies.getOrDefault(CALLER_A, idle()).running().isEmpty()
                        && !proxies.getOrDefault(HELLO_V1, idle()).running().isEmpty();
            });
            greeted = byWorkload(server);
            keptAfterGreeting = Files.readString(mesh.state.resolve(CALLER_A).resolve("last-known-good.yaml"))
                    .lines().findFirst().orElse("");
            policiesAfterGreeting = v1.context().routes().snapshot().authorizationPolicies().stream()
                    .map(p -> p.metadata().name()).toList();
            // Past the new control plane's first debounce, with requests flowing all along.
            eventually(SOON, "the new control plane publishes its first mesh", () -> server.mesh().version().equals(
                    json(mesh.get(server.adminPort(), "/debug/proxies")).path("mesh_version").asText()));
            traffic.progress(20);
            traffic.stop();
            failed = traffic.failed();
            failures = traffic.failures();
        }
        org.assertj.core.api.SoftAssertions.assertSoftly(soft -> {
            soft.assertThat(failed).as("requests through caller-a that failed across the restart: " + failures)
                    .isZero();
            soft.assertThat(greeted.get(CALLER_A).running()).as("the version caller-a ran after the greeting")
                    .isEqualTo(callerVersion);
            soft.assertThat(greeted.get(HELLO_V1).running()).as("the version hello-v1 ran after the greeting")
                    .isEqualTo(serviceVersion);
            soft.assertThat(policiesAfterGreeting).as("STRICT hello-v1's AuthorizationPolicies after the greeting")
                    .containsExactly("callers");
            soft.assertThat(keptAfterGreeting).as("caller-a's last-known-good after the greeting")
                    .isEqualTo("# remora last-known-good version: " + callerVersion);
            soft.assertThat(configApplied(a)).as("snapshots caller-a applied across the restart (it ran %s before"
                    + " and after)", callerVersion).isEqualTo(callerApplied);
            soft.assertThat(configApplied(v1)).as("snapshots hello-v1 applied across the restart (it ran %s before"
                    + " and after)", serviceVersion).isEqualTo(serviceApplied);
        });
    }
}
