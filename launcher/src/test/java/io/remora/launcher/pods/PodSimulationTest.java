package io.remora.launcher.pods;

import io.remora.config.testing.Eventually;
import io.remora.config.testing.TestMesh;
import io.remora.controlplane.ca.BootstrapTokens;
import io.remora.launcher.pods.Ns.Child;
import io.remora.proxy.testing.Netns.CurlResponse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Two pods on one node, as closely as this machine allows without a kube-apiserver: network namespaces
 * {@code pod-a} ({@code web}) and {@code pod-b} ({@code payments}), each with an {@code eth0} on a bridge that lives in
 * a third namespace (the node's network, holding the control plane and an address outside the mesh). In each pod,
 * in the order Kubernetes runs them: the real {@code remora init} as root (the init container), the real
 * {@code remora proxy --kubernetes} as uid 1337 with the environment the injector writes (the sidecar), and an
 * unmodified application as uid 1000 (the app). The control plane serves a YAML directory holding pod-b's two
 * Services (HTTP on a virtual address, a server-first TCP protocol on another) with pod-b's IP and SPIFFE identity,
 * and signs both sidecars' certificates from their bootstrap tokens.
 *
 * <p>Needs root, iproute2, iptables, util-linux ({@code setpriv}), curl and bash; without them it fails with the
 * reason. It only creates (and deletes, also on failure) its own three namespaces, the links inside them and a
 * temporary directory; the host's network is not touched. The tests share the pods and run in order: the drain,
 * which stops pod-b's sidecar, comes last.
 */
@Timeout(180)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class PodSimulationTest {
    private static final String NODE_IP = "10.88.0.1";
    /** A second address of the node's network: outside the mesh and outside the excluded CIDR. */
    private static final String OUTSIDE_IP = "10.88.0.254";
    private static final String POD_A_IP = "10.88.0.2";
    /** A second replica of payments, behind the Service payments-ha with pod-b: the drain with two endpoints. */
    private static final String POD_C_IP = "10.88.0.4";
    private static final String HA_VIP = "10.96.0.12";
    private static final String POD_B_IP = "10.88.0.3";
    private static final String HTTP_VIP = "10.96.0.10";
    private static final String TCP_VIP = "10.96.0.11";
    private static final int HTTP_PORT = 8080;
    private static final int TCP_PORT = 7000;
    private static final int OUTSIDE_PORT = 9090;
    private static final int EXCLUDED_PORT = 9091;
    private static final String EXCLUDED_CIDR = NODE_IP + "/32";
    private static final int APP_UID = 1000;
    private static final int PROXY_UID = 1337;
    private static final String NAMESPACE = "shop";
    private static final String WEB_ID = "spiffe://cluster.local/ns/shop/sa/web";
    private static final String PAYMENTS_ID = "spiffe://cluster.local/ns/shop/sa/payments";
    private static final Duration WAIT = Duration.ofSeconds(30);
    /** Long beside the test's drain traffic: the sidecar's exit then comes from the quiet second, not the clock. */
    private static final String DRAIN_TIME = "20s";
    /** The init container's arguments, as the injector writes them (plus the pods' exclusions). */
    private static final List<String> INIT_ARGS = List.of("--exclude-inbound-ports", "15020,15021",
            "--exclude-outbound-ports", String.valueOf(EXCLUDED_PORT), "--exclude-outbound-cidrs", EXCLUDED_CIDR,
            "--proxy-uid", "1337", "--proxy-gid", "1337", "--inbound-port", "15006", "--outbound-port", "15001");

    private final String id = HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt(1 << 24), 6);
    private final List<Ns> namespaces = new ArrayList<>();
    private Path dir;
    private String classPath;
    private Ns node;
    private Ns podA;
    private Ns podB;
    private Ns podC;
    private Child appC;
    private Child sidecarC;
    private Child controlPlane;
    private Child appB;
    private Child sidecarA;
    private Child sidecarB;

    // ---- the node and its pods -------------------------------------------------------------------------------

    @BeforeAll
    void startPods() throws Exception {
        requireRootAndTools();
        dir = Files.createTempDirectory("remora-pods-");
        readableByAll(dir);
        classPath = sharedClassPath();

        node = namespace("rp-" + id + "-node");
        podA = namespace("rp-" + id + "-a");
        podB = namespace("rp-" + id + "-b");
        podC = namespace("rp-" + id + "-c");
        node.must("ip", "link", "add", "br0", "type", "bridge");
        node.must("ip", "addr", "add", NODE_IP + "/24", "dev", "br0");
        node.must("ip", "addr", "add", OUTSIDE_IP + "/24", "dev", "br0");
        node.must("ip", "link", "set", "br0", "up");
        plug(podA, "veth-a", POD_A_IP);
        plug(podB, "veth-b", POD_B_IP);
        plug(podC, "veth-c", POD_C_IP);

        // The init containers, both at once.
        CompletableFuture<Ns.Result> initA = CompletableFuture.supplyAsync(() -> init(podA));
        CompletableFuture<Ns.Result> initB = CompletableFuture.supplyAsync(() -> init(podB));
        CompletableFuture<Ns.Result> initC = CompletableFuture.supplyAsync(() -> init(podC));
        for (Ns.Result r : List.of(initA.join(), initB.join(), initC.join())) {
            assertThat(r.exit()).as("remora init: %s", r.all()).isZero();
            assertThat(r.out()).startsWith("remora init: installed the interception rules (iptables-");
        }

        // The control plane on the node, the mesh in its directory, a bootstrap token per workload.
        Path mesh = Files.createDirectories(dir.resolve("mesh"));
        Files.writeString(mesh.resolve("payments.yaml"), services());
        Path ca = Files.createDirectories(dir.resolve("ca"));
        Path tokens = dir.resolve("bootstrap-tokens");
        String webToken = BootstrapTokens.add(tokens, NAMESPACE, "web");
        String paymentsToken = BootstrapTokens.add(tokens, NAMESPACE, "payments");
        controlPlane = node.spawn("control-plane", Map.of(), java("io.remora.launcher.Remora", "control-plane",
                "--config-dir", mesh.toString(), "--ca-dir", ca.toString(), "--tokens", tokens.toString(),
                "--listen", NODE_IP + ":15010", "--admin", NODE_IP + ":15014", "--quiet", "20ms",
                "--max-delay", "200ms"));
        // The apps: pod-b's (HTTP and a server-first TCP protocol), and a server outside the mesh on the node.
        appB = podB.spawn("app-b", Map.of(), Ns.as(APP_UID, java(PodApp.class.getName(), "serve", "payments",
                String.valueOf(HTTP_PORT), String.valueOf(TCP_PORT))));
        appC = podC.spawn("app-c", Map.of(), Ns.as(APP_UID, java(PodApp.class.getName(), "serve", "payments-c",
                String.valueOf(HTTP_PORT), String.valueOf(TCP_PORT))));
        Child outside = node.spawn("outside", Map.of(), java(PodApp.class.getName(), "serve", "outside",
                OUTSIDE_PORT + "," + EXCLUDED_PORT));
        eventually("the control plane is ready", () -> node.curl(0, "http://" + NODE_IP + ":15014/healthz/ready")
                .status() == 200);
        // The mesh's root, as the ConfigMap remora-ca-root-cert gives it to every pod.
        Path root = dir.resolve("root-cert.pem");
        Files.copy(ca.resolve("root.pem"), root);
        readableByAll(root);

        sidecarA = sidecar(podA, "web", POD_A_IP, webToken, "");
        sidecarB = sidecar(podB, "payments", POD_B_IP, paymentsToken, HTTP_PORT + "/http/http," + TCP_PORT + "/tcp/db");
        sidecarC = sidecar(podC, "payments", POD_C_IP, paymentsToken, HTTP_PORT + "/http/http," + TCP_PORT + "/tcp/db");
        appB.await("READY"::equals, "READY", WAIT);
        appC.await("READY"::equals, "READY", WAIT);
        outside.await("READY"::equals, "READY", WAIT);
        for (Child s : List.of(sidecarA, sidecarB, sidecarC)) {
            s.await(l -> l.contains("\"event\":\"proxy_ready\""), "proxy_ready", WAIT);
        }
        // Ready (200) once the first snapshot and the workload certificate are in, as the startupProbe asks.
        for (Ns pod : List.of(podA, podB, podC)) {
            eventually(pod.name + "'s sidecar is ready",
                    () -> pod.curl(0, "http://127.0.0.1:15021/healthz/ready").status() == 200);
        }
    }

    @AfterAll
    void removePods() throws IOException {
        List<String> problems = new ArrayList<>();
        for (Ns ns : namespaces) {
            try {
                ns.close();
            } catch (AssertionError | RuntimeException e) {
                problems.add(e.getMessage());
            }
        }
        for (Child c : Stream.of(controlPlane, appB, sidecarA, sidecarB).filter(c -> c != null).toList()) {
            System.out.println("---- " + c.label + " (exit " + (c.process.isAlive() ? "-" : c.process.exitValue())
                    + ")");
            c.lines().forEach(System.out::println);
        }
        if (dir != null) {
            try (Stream<Path> files = Files.walk(dir)) {
                for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
        assertThat(problems).as("namespaces deleted").isEmpty();
    }

    private static void requireRootAndTools() {
        Ns.Result uid = Ns.run(Ns.CMD_TIMEOUT, List.of("id", "-u"));
        assertThat(uid.out().strip()).as("the pod simulation creates network namespaces and iptables rules: it"
                + " needs root (CI runs it as root)").isEqualTo("0");
        for (String tool : List.of("ip", "iptables", "iptables-save", "setpriv", "curl", "bash")) {
            Ns.Result r = Ns.run(Ns.CMD_TIMEOUT, List.of("sh", "-c", "command -v " + tool));
            assertThat(r.ok()).as("the pod simulation needs %s on the PATH (.ci/run installs iproute2, iptables,"
                    + " util-linux and curl)", tool).isTrue();
        }
    }

    private Ns namespace(String name) {
        Ns ns = Ns.create(name);
        namespaces.add(ns);
        return ns;
    }

    /** The pod's eth0: a veth pair from the node's bridge, the pod IP, the default route through the node. */
    private void plug(Ns pod, String nodeEnd, String ip) {
        node.must("ip", "link", "add", nodeEnd, "type", "veth", "peer", "name", "eth0", "netns", pod.name);
        node.must("ip", "link", "set", nodeEnd, "master", "br0");
        node.must("ip", "link", "set", nodeEnd, "up");
        pod.must("ip", "addr", "add", ip + "/24", "dev", "eth0");
        pod.must("ip", "link", "set", "eth0", "up");
        pod.must("ip", "route", "add", "default", "via", NODE_IP);
    }

    private Ns.Result init(Ns pod) {
        List<String> c = java("io.remora.launcher.Remora", "init");
        c.addAll(INIT_ARGS);
        return pod.exec(c);
    }

    /** The sidecar container: {@code remora proxy --kubernetes} as uid 1337, with the injector's environment. */
    private Child sidecar(Ns pod, String workload, String podIp, String token, String inboundPorts)
            throws IOException {
        Path home = Files.createDirectories(dir.resolve(workload));
        readableByAll(home);
        Path tokenFile = home.resolve("remora-token");
        Files.writeString(tokenFile, token);
        readableByAll(tokenFile);
        Path state = Files.createDirectories(home.resolve("state"));
        Files.setAttribute(state, "unix:uid", PROXY_UID);
        Files.setAttribute(state, "unix:gid", PROXY_UID);
        Map<String, String> env = new LinkedHashMap<>();
        env.put("POD_NAME", workload + "-5d8f7c9b4-" + id.substring(0, 5));
        env.put("POD_NAMESPACE", NAMESPACE);
        env.put("INSTANCE_IP", podIp);
        env.put("SERVICE_ACCOUNT", workload);
        env.put("REMORA_WORKLOAD", workload);
        env.put("REMORA_INBOUND_PORTS", inboundPorts);
        env.put("REMORA_CONTROL_PLANE_ADDRESS", NODE_IP + ":15010");
        env.put("REMORA_CONTROL_PLANE_TOKEN_FILE", tokenFile.toString());
        env.put("REMORA_CONTROL_PLANE_TRUST_BUNDLE", dir.resolve("root-cert.pem").toString());
        env.put("REMORA_CONTROL_PLANE_STATE_DIR", state.toString());
        env.put("REMORA_DRAIN_TIME", DRAIN_TIME);
        env.put("REMORA_MTLS_MODE", "STRICT");
        env.put("REMORA_THREADS", "1");
        List<String> c = new ArrayList<>(List.of(javaBinary(), "-XX:+UseSerialGC", "-Xms16m", "-Xmx96m",
                "-Dio.netty.leakDetection.level=paranoid", "-cp", classPath, "io.remora.launcher.Remora", "proxy",
                "--kubernetes"));
        return pod.spawn("sidecar-" + workload, env, Ns.as(PROXY_UID, c));
    }

    /** payments.shop (http) and payments-db.shop (tcp) at virtual IPs, on pod-b; payments-ha.shop on pod-b and c. */
    private static String services() {
        return TestMesh.of(
                TestMesh.service("payments", NAMESPACE).protocol("http").addresses(HTTP_VIP + ":" + HTTP_PORT)
                        .endpoint(POD_B_IP + ":" + HTTP_PORT, PodSimulationTest::payments),
                TestMesh.service("payments-db", NAMESPACE).protocol("tcp").addresses(TCP_VIP + ":" + TCP_PORT)
                        .endpoint(POD_B_IP + ":" + TCP_PORT, PodSimulationTest::payments),
                TestMesh.service("payments-ha", NAMESPACE).protocol("http").addresses(HA_VIP + ":" + HTTP_PORT)
                        .trafficPolicy("{loadBalancer: round-robin}")
                        .endpoint(POD_B_IP + ":" + HTTP_PORT, PodSimulationTest::payments)
                        .endpoint(POD_C_IP + ":" + HTTP_PORT, PodSimulationTest::payments)).yaml();
    }

    /** An endpoint of the payments workload: the sidecar in front of it presents its identity. */
    private static void payments(TestMesh.Fields endpoint) {
        endpoint.set("identity", PAYMENTS_ID);
    }

    // ---- 1: HTTP between the two apps, over mutual TLS ---------------------------------------------------------

    @Test
    @Order(1)
    void anUnmodifiedCurlInPodAReachesPodBsAppOverMutualTls() {
        for (String target : List.of(HTTP_VIP, POD_B_IP)) {
            CurlResponse r = podA.curl(APP_UID, "http://" + target + ":" + HTTP_PORT + "/hello");

            assertThat(r.status()).as("curl to %s: %s", target, r.raw()).isEqualTo(200);
            assertThat(r.body()).startsWith("payments port=8080 path=/hello xfcc=")
                    .contains("URI=" + WEB_ID).contains("By=" + PAYMENTS_ID);
        }
        assertThat(appB.await(l -> l.startsWith("REQUEST 8080 /hello "), "the request", WAIT))
                .contains("URI=" + WEB_ID);
        eventually("pod-b's sidecar counts two mutual-TLS requests from web", () -> sum(scrape(podB),
                "istio_requests_total", "reporter=\"destination\"", "connection_security_policy=\"mutual_tls\"",
                "source_principal=\"" + WEB_ID + "\"", "destination_service=\"payments.shop.svc.cluster.local\"",
                "response_code=\"200\"") >= 2);
        eventually("pod-a's sidecar counts two requests to payments", () -> sum(scrape(podA),
                "istio_requests_total", "reporter=\"source\"", "destination_principal=\"" + PAYMENTS_ID + "\"",
                "destination_service=\"payments.shop.svc.cluster.local\"", "response_code=\"200\"") >= 2);
        // Captured mTLS traffic is pooled like any other: the second request rode the first one's connection, which
        // stays open and idle in pod-a's sidecar, so pod-b's sidecar made one handshake for both.
        CurlResponse clusters = podA.curl(0, "http://127.0.0.1:15000/clusters");
        assertThat(clusters.body()).as(clusters.raw())
                .contains("payments.shop::" + POD_B_IP + ":" + HTTP_PORT + "::idle_connections::1");
        assertThat(sum(scrape(podB), "remora_mtls_handshakes_total")).isEqualTo(1);
    }

    // ---- 2: a server-first TCP protocol on a declared TCP port -------------------------------------------------

    @Test
    @Order(2)
    void aServerFirstTcpProtocolOnADeclaredPortWorks() {
        Ns.Result r = podA.exec(Ns.as(APP_UID, serverFirstClient(TCP_VIP, "ping")));

        assertThat(r.out().lines().toList()).as(r.all()).containsExactly("HELLO payments", "ECHO ping");
        eventually("pod-b's sidecar counts a mutual-TLS TCP connection from web", () -> sum(scrape(podB),
                "istio_tcp_connections_opened_total", "reporter=\"destination\"",
                "connection_security_policy=\"mutual_tls\"", "source_principal=\"" + WEB_ID + "\"") >= 1);
    }

    /** A client that waits for the server to speak first, then sends a line: bash's /dev/tcp, nothing else. */
    private static List<String> serverFirstClient(String host, String line) {
        return List.of("bash", "-c", "exec 3<>/dev/tcp/" + host + "/" + TCP_PORT
                + " && IFS= read -r -t 8 hello <&3 && echo \"$hello\" && echo " + line
                + " >&3 && IFS= read -r -t 8 echo <&3 && echo \"$echo\"");
    }

    // ---- 3: exclusions bypass the sidecar ----------------------------------------------------------------------

    @Test
    @Order(3)
    void anExcludedPortAndAnExcludedCidrBypassTheSidecar() {
        double before = traffic(scrape(podA));
        long logged = sidecarA.count(l -> l.contains("\"direction\":\"outbound\""));

        CurlResponse cidr = podA.curl(APP_UID, "http://" + NODE_IP + ":" + OUTSIDE_PORT + "/excluded-cidr");
        CurlResponse port = podA.curl(APP_UID, "http://" + OUTSIDE_IP + ":" + EXCLUDED_PORT + "/excluded-port");

        assertThat(cidr.status()).as(cidr.raw()).isEqualTo(200);
        assertThat(cidr.body()).startsWith("outside port=9090 path=/excluded-cidr xfcc=-");
        assertThat(port.status()).as(port.raw()).isEqualTo(200);
        assertThat(port.body()).startsWith("outside port=9091 path=/excluded-port xfcc=-");
        assertThat(traffic(scrape(podA))).as("pod-a's sidecar saw nothing").isEqualTo(before);
        assertThat(sidecarA.count(l -> l.contains("\"direction\":\"outbound\""))).isEqualTo(logged);
        assertThat(sidecarA.lines()).noneMatch(l -> l.contains("/excluded-"));

        // The same server on a port and address that are not excluded: captured, and counted.
        CurlResponse captured = podA.curl(APP_UID, "http://" + OUTSIDE_IP + ":" + OUTSIDE_PORT + "/captured");
        assertThat(captured.status()).as(captured.raw()).isEqualTo(200);
        sidecarA.await(l -> l.contains("/captured") && l.contains("PassthroughCluster"), "the passthrough's log",
                WAIT);
        eventually("pod-a's sidecar counts the captured request", () -> traffic(scrape(podA)) > before);
    }

    /** Everything a sidecar counts as traffic it carried: requests and TCP connections, both directions. */
    private static double traffic(String scrape) {
        return sum(scrape, "istio_requests_total") + sum(scrape, "istio_tcp_connections_opened_total");
    }

    // ---- 4: no loops ------------------------------------------------------------------------------------------

    @Test
    @Order(4)
    void theSidecarsOwnConnectionsAreNotCaptured() {
        // Everything so far went through both sidecars: pod-a's connections to pod-b and to the control plane, and
        // pod-b's to its app, were made as uid 1337 and never captured again.
        for (Ns pod : List.of(podA, podB)) {
            String scrape = scrape(pod);
            assertThat(scrape).as(pod.name).contains("remora_inbound_loop_refused_total");
            assertThat(sum(scrape, "remora_inbound_loop_refused_total")).as(pod.name).isZero();
        }
        for (Child s : List.of(sidecarA, sidecarB)) {
            assertThat(s.lines()).as(s.label).noneMatch(l -> l.contains("loop_refused") || l.contains("\"LOOP\"")
                    || l.contains("LEAK"));
            assertThat(s.lines()).as(s.label).anyMatch(l -> l.contains("\"direction\":\"inbound\"")
                    || l.contains("\"direction\":\"outbound\""));
        }
    }

    // ---- 5: STRICT refuses plaintext from outside the mesh ----------------------------------------------------

    @Test
    @Order(5)
    void plaintextFromANamespaceWithoutASidecarIsRefusedByStrictPodB() {
        double refused = sum(scrape(podB), "remora_mtls_plaintext_refused_total");

        CurlResponse http = node.curl(0, "http://" + POD_B_IP + ":" + HTTP_PORT + "/plaintext");
        Ns.Result tcp = node.exec(serverFirstClient(POD_B_IP, "plaintext"));

        assertThat(http.status()).as(http.raw()).isEqualTo(-1);
        assertThat(tcp.out()).as("the TCP port's server never spoke: %s", tcp.all()).doesNotContain("HELLO");
        eventually("pod-b's sidecar counts two refused plaintext connections",
                () -> sum(scrape(podB), "remora_mtls_plaintext_refused_total") >= refused + 2);
        assertThat(appB.lines()).noneMatch(l -> l.contains("/plaintext"));
    }

    // ---- 7 (before the drain): a second init leaves one set of rules ------------------------------------------

    @Test
    @Order(6)
    void aSecondInitLeavesExactlyOneSetOfRules() {
        for (Ns pod : List.of(podA, podB)) {
            String first = natRules(pod);
            Ns.Result again = init(pod);

            assertThat(again.exit()).as(again.all()).isZero();
            String second = natRules(pod);
            assertThat(second).as(pod.name).isEqualTo(first);
            assertThat(second.lines().filter("-A OUTPUT -p tcp -j REMORA_OUTPUT"::equals)).hasSize(1);
            assertThat(second.lines().filter("-A PREROUTING -p tcp -j REMORA_INBOUND"::equals)).hasSize(1);
            for (String chain : List.of("REMORA_INBOUND", "REMORA_IN_REDIRECT", "REMORA_OUTPUT", "REMORA_REDIRECT")) {
                assertThat(second.lines().filter(l -> l.startsWith(":" + chain + " "))).as(chain).hasSize(1);
            }
            assertThat(second.lines().filter(l -> l.contains("--dport " + EXCLUDED_PORT + " -j RETURN"))).hasSize(1);
        }
        CurlResponse r = podA.curl(APP_UID, "http://" + HTTP_VIP + ":" + HTTP_PORT + "/after-reinit");
        assertThat(r.status()).as(r.raw()).isEqualTo(200);
    }

    /** The pod's nat table without the counters and comments that change between two saves. */
    private static String natRules(Ns pod) {
        Ns.Result r = pod.must("iptables-save", "-t", "nat");
        return r.out().lines().filter(l -> !l.startsWith("#")).map(l -> l.replaceAll("\\[\\d+:\\d+]", "[]"))
                .reduce("", (a, b) -> a + b + "\n");
    }

    // ---- 6: draining pod-b under a steady stream --------------------------------------------------------------

    /**
     * What the drain must let finish, precisely: every request pod-a's app sends from before the SIGTERM until
     * pod-b's sidecar has exited by itself — the one in flight when the signal lands, and every one sent while the
     * sidecar drains (its readiness 503, as a caller that has not yet seen the endpoint removed keeps sending). The
     * stream stops once enough requests were sent during the drain, well before the drain time: a request still in
     * flight when the drain time is up is one the drain does not promise to finish, so none is left in flight.
     * The sidecar then exits 0 after its quiet second, cutting no connection. A request sent after it exited
     * fails, which shows the stream really depended on it.
     */
    /**
     * The same with a second endpoint: SIGTERM to pod-c's sidecar while pod-a streams to payments-ha (pod-b and pod-c,
     * round robin). Nothing tells pod-a's sidecar the endpoint is going (no EndpointSlice here), so it keeps sending
     * to pod-c: through the drain pod-c serves (with Connection: close), and once its sidecar has exited, a refused
     * connection is retried on pod-b. No request may fail, before, during or after.
     */
    @Test
    @Order(7)
    void sigtermToOneOfTwoEndpointsUnderASteadyStreamFailsNoRequestAtAll() throws Exception {
        Child stream = podA.spawn("stream-ha", Map.of(), Ns.as(APP_UID, java(PodApp.class.getName(), "stream",
                "http://" + HA_VIP + ":" + HTTP_PORT + "/ha")));
        stream.await(l -> l.startsWith("R 20 "), "20 requests before the SIGTERM", WAIT);
        assertThat(appC.count(l -> l.startsWith("REQUEST 8080 /ha "))).as("pod-c had its share").isPositive();

        sidecarC.process.toHandle().destroy();
        sidecarC.await(l -> l.contains("\"event\":\"drain_started\""), "drain_started", WAIT);
        assertThat(sidecarC.process.waitFor(WAIT.toSeconds(), TimeUnit.SECONDS)).as("pod-c's sidecar exits").isTrue();
        assertThat(sidecarC.process.exitValue()).isZero();
        long atExit = stream.count(l -> l.startsWith("R "));
        stream.await(l -> l.startsWith("R " + (atExit + 30) + " "), "30 requests after pod-c's sidecar exited", WAIT);
        stream.tell("stop");
        String done = stream.await(l -> l.startsWith("DONE "), "the stream's end", WAIT);

        assertThat(stream.lines().stream().filter(l -> l.startsWith("R ") && !l.endsWith(" 200")))
                .as("requests that failed").isEmpty();
        assertThat(done).isEqualTo("DONE ok=" + stream.count(l -> l.startsWith("R ")) + " failed=0");
    }

    @Test
    @Order(8)
    void sigtermToPodBsSidecarUnderASteadyStreamFailsNoRequestTheDrainShouldFinish() throws Exception {
        Child stream = podA.spawn("stream", Map.of(), Ns.as(APP_UID, java(PodApp.class.getName(), "stream",
                "http://" + HTTP_VIP + ":" + HTTP_PORT + "/stream")));
        stream.await(l -> l.startsWith("R 20 "), "20 requests before the SIGTERM", WAIT);

        // SIGTERM, as the kubelet sends it; by the handle, since Process.destroy() would also close our end of the
        // sidecar's stdout, and a sidecar that cannot write its log is not the sidecar under test.
        sidecarB.process.toHandle().destroy();
        sidecarB.await(l -> l.contains("\"event\":\"drain_started\""), "drain_started", WAIT);
        long atDrain = stream.count(l -> l.startsWith("R "));
        eventually("pod-b's readiness is 503 while it drains",
                () -> node.curl(0, "http://" + POD_B_IP + ":15021/healthz/ready").status() == 503);
        stream.await(l -> l.startsWith("R " + (atDrain + 30) + " "), "30 requests during the drain", WAIT);
        assertThat(sidecarB.process.isAlive()).as("pod-b's sidecar still drains").isTrue();
        stream.tell("stop");
        String done = stream.await(l -> l.startsWith("DONE "), "the stream's end", WAIT);

        assertThat(sidecarB.process.waitFor(WAIT.toSeconds(), TimeUnit.SECONDS)).as("pod-b's sidecar exits").isTrue();
        assertThat(sidecarB.process.exitValue()).isZero();
        assertThat(sidecarB.await(l -> l.contains("\"event\":\"drain_finished\""), "drain_finished", WAIT))
                .contains("\"connections_cut\":\"0\"");
        assertThat(stream.lines().stream().filter(l -> l.startsWith("R ") && !l.endsWith(" 200")))
                .as("requests that failed").isEmpty();
        assertThat(done).isEqualTo("DONE ok=" + stream.count(l -> l.startsWith("R ")) + " failed=0");
        // Each answer came from pod-b's app (at least once: a sidecar may retry a request the drain reset).
        assertThat(appB.count(l -> l.startsWith("REQUEST 8080 /stream "))).isGreaterThanOrEqualTo(
                stream.count(l -> l.startsWith("R ")));

        CurlResponse after = podA.curl(APP_UID, "http://" + HTTP_VIP + ":" + HTTP_PORT + "/after-exit");
        assertThat(after.status()).as("with pod-b's sidecar gone: %s", after.raw()).isEqualTo(503);
        assertThat(appB.lines()).noneMatch(l -> l.contains("/after-exit"));
    }

    // ---- helpers ----------------------------------------------------------------------------------------------

    private String scrape(Ns pod) {
        CurlResponse r = pod.curl(0, "http://127.0.0.1:15020/stats/prometheus");
        assertThat(r.status()).as("%s metrics: %s", pod.name, r.raw()).isEqualTo(200);
        return r.body();
    }

    /** The sum of the samples of {@code metric} whose labels contain all of {@code labels}. */
    private static double sum(String scrape, String metric, String... labels) {
        double total = 0;
        for (String line : scrape.lines().toList()) {
            if (line.startsWith(metric + "{") || line.startsWith(metric + " ")) {
                boolean all = true;
                for (String l : labels) {
                    all &= line.contains(l);
                }
                if (all) {
                    total += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
                }
            }
        }
        return total;
    }

    private static void eventually(String what, BooleanSupplier condition) {
        Eventually.within(WAIT).every(Duration.ofMillis(100)).until(what, condition::getAsBoolean);
    }

    private static String javaBinary() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    /** A short-lived or small JVM of the test class path (init, the control plane, the apps). */
    private List<String> java(String main, String... args) {
        List<String> c = new ArrayList<>(List.of(javaBinary(), "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                "-Xmx128m", "-cp", classPath, main));
        c.addAll(List.of(args));
        return c;
    }

    /**
     * The test class path as the pods' users (1000, 1337) can read it: entries they cannot reach (the local Maven
     * repository under root's home) are linked, or copied, into the temporary directory.
     */
    private String sharedClassPath() throws IOException {
        String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        Path into = Files.createDirectories(dir.resolve("classpath"));
        readableByAll(into);
        List<String> entries = new ArrayList<>();
        int n = 0;
        for (String e : cp.split(File.pathSeparator)) {
            Path p = Path.of(e).toAbsolutePath();
            if (!Files.exists(p) || reachableByAll(p)) {
                entries.add(e);
                continue;
            }
            if (Files.isDirectory(p)) {
                throw new AssertionError("class path directory " + p + " is not readable by the pods' users");
            }
            Path to = into.resolve((n++) + "-" + p.getFileName());
            if (Files.getPosixFilePermissions(p).contains(PosixFilePermission.OTHERS_READ)) {
                try {
                    Files.createLink(to, p);
                } catch (IOException | UnsupportedOperationException linkFailed) {
                    Files.copy(p, to);
                }
            } else {
                Files.copy(p, to);
                readableByAll(to);
            }
            entries.add(to.toString());
        }
        return String.join(File.pathSeparator, entries);
    }

    private static boolean reachableByAll(Path p) throws IOException {
        Set<PosixFilePermission> own = Files.getPosixFilePermissions(p);
        if (!own.contains(PosixFilePermission.OTHERS_READ)
                || Files.isDirectory(p) && !own.contains(PosixFilePermission.OTHERS_EXECUTE)) {
            return false;
        }
        for (Path d = p.getParent(); d != null; d = d.getParent()) {
            if (!Files.getPosixFilePermissions(d).contains(PosixFilePermission.OTHERS_EXECUTE)) {
                return false;
            }
        }
        return true;
    }

    private static void readableByAll(Path p) throws IOException {
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString(Files.isDirectory(p) ? "rwxr-xr-x"
                : "rw-r--r--"));
    }
}
