package io.remora.launcher.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import io.remora.config.testing.Eventually;
import io.remora.config.testing.TestMesh;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The real {@code remora} command in a child JVM: {@code remora proxy --config FILE} becomes ready, proxies a
 * request, drains on SIGTERM and exits 0 with its JSON log lines on stdout; a reload that runs out of memory in
 * the proxy's 64 MiB heap is counted and logged, and reloading goes on; {@code remora validate} on a broken file
 * exits 1 and names the error's {@code file:line:col}; a port that cannot be had (in use, below 1024 without the
 * privilege, an address not of this machine) is one line on stderr and exit 1; {@code remora} alone prints its usage
 * on stderr and exits 2; {@code remora --version} prints the project version.
 */
@Timeout(120)
class RemoraProcessTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration DRAIN_TIME = Duration.ofSeconds(2);
    /** JVM start and shutdown on a busy machine, beyond the drain time. */
    private static final Duration EXIT_MARGIN = Duration.ofSeconds(8);
    /** The footprint flags {@code bin/remora} runs the proxy with, plus C1 only for a quicker start. */
    private static final List<String> JVM_FLAGS = List.of("-XX:+UseSerialGC", "-Xms16m", "-Xmx64m", "-Xss256k",
            "-XX:MaxDirectMemorySize=64m", "-XX:TieredStopAtLevel=1", "-Dio.netty.leakDetection.level=disabled");

    @TempDir
    Path dir;

    private Process process;
    private OutputCollector stdout;
    private OutputCollector stderr;
    private HttpServer app;

    @AfterEach
    void cleanUp() throws Exception {
        if (process != null && process.isAlive()) {
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
        if (app != null) {
            app.stop(0);
        }
    }

    @Test
    void proxyServesDrainsOnSigtermAndExitsZero() throws Exception {
        app = HttpServer.create(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0), 16);
        app.createContext("/", exchange -> {
            byte[] body = "hello from app\n".getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", "text/plain");
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        app.start();
        int healthPort = freePort();
        int upstreamPort = freePort();
        Path config = Files.writeString(dir.resolve("sidecar.yaml"), TestMesh.of(
                TestMesh.sidecar("web", "shop").set("health", TestMesh.loopback(healthPort))
                        .set("drainTime", DRAIN_TIME.toSeconds() + "s").accessLog(true)
                        .upstream(TestMesh.loopback(upstreamPort), "hello.shop"),
                TestMesh.service("hello", "shop").protocol("http").endpoint(app.getAddress())).yaml());

        process = start("proxy", "--config", config.toString());
        InetSocketAddress health = new InetSocketAddress("127.0.0.1", healthPort);
        awaitReady(health, Duration.ofSeconds(60));

        String reply = get(new InetSocketAddress("127.0.0.1", upstreamPort), "/through-the-sidecar");
        assertThat(reply).startsWith("HTTP/1.1 200").endsWith("hello from app\n");
        awaitLine(line -> "/through-the-sidecar".equals(line.path("path").asText()), Duration.ofSeconds(10));

        long sigterm = System.nanoTime();
        process.destroy(); // SIGTERM
        boolean exited = process.waitFor(DRAIN_TIME.plus(EXIT_MARGIN).toMillis(), TimeUnit.MILLISECONDS);
        Duration took = Duration.ofNanos(System.nanoTime() - sigterm);

        assertThat(exited).as("exited within the drain time + margin; stdout:%n%s", stdout.text()).isTrue();
        assertThat(process.exitValue()).as("exit status after SIGTERM (took %s); stdout:%n%s%nstderr:%n%s", took,
                stdout.text(), stderr.text()).isZero();
        List<JsonNode> lines = stdout.jsonLines();
        assertThat(events(lines)).containsSubsequence("proxy_ready", "drain_started", "proxy_stopped");
        assertThat(lines).anySatisfy(l -> {
            assertThat(l.path("path").asText()).isEqualTo("/through-the-sidecar");
            assertThat(l.path("status").asInt()).isEqualTo(200);
            assertThat(l.path("direction").asText()).isEqualTo("outbound");
            assertThat(l.path("upstream_cluster").asText()).isEqualTo("hello.shop");
        });
    }

    @Test
    void validateReportsFileLineAndColumnAndExitsOne() throws Exception {
        Path bad = Files.writeString(dir.resolve("bad.yaml"), """
                apiVersion: remora.io/v1
                kind: Sidecar
                metadata: {name: web, namespace: shop}
                spec:
                  treads: 2
                  drainTime: 5
                """);

        process = start("validate", bad.toString());
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();

        String out = stdout.text() + stderr.text();
        assertThat(process.exitValue()).as(out).isEqualTo(1);
        assertThat(out).containsPattern(Pattern.quote(bad.toString()) + ":5:3: spec\\.treads: ");
        assertThat(out).containsPattern(Pattern.quote(bad.toString()) + ":6:14: spec\\.drainTime: ");
    }

    @Test
    void validateAcceptsAGoodFileAndExitsZero() throws Exception {
        Path good = Files.writeString(dir.resolve("good.yaml"), """
                apiVersion: remora.io/v1
                kind: Service
                metadata: {name: hello, namespace: shop}
                spec:
                  endpoints: [{address: 127.0.0.1:8080}]
                """);

        process = start("validate", good.toString());
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();

        assertThat(process.exitValue()).as(stderr.text()).isZero();
        assertThat(stdout.text()).startsWith("ok: 1 resources in 1 file(s), version ");
    }

    @Test
    void aReloadThatRunsOutOfMemoryIsCountedAndLoggedAndTheNextChangeStillLands() throws Exception {
        int healthPort = freePort();
        int metricsPort = freePort();
        Path sidecar = Files.writeString(dir.resolve("sidecar.yaml"), TestMesh.sidecar("web", "shop")
                .set("metrics", TestMesh.loopback(metricsPort)).set("health", TestMesh.loopback(healthPort)).yaml());
        Path mesh = Files.writeString(dir.resolve("mesh.yaml"), hello(8081));
        // A limit far above the heap: the file is read and parsed, and the reload runs out of memory.
        process = start(Map.of("REMORA_CONFIG_MAX_FILE_SIZE", "256MiB"), "proxy", "--config", sidecar.toString(),
                mesh.toString());
        awaitReady(new InetSocketAddress("127.0.0.1", healthPort), Duration.ofSeconds(60));

        try (java.io.Writer w = Files.newBufferedWriter(mesh)) {
            w.write(hello(8082));
            String filler = "# " + "x".repeat(1021) + "\n";
            for (int i = 0; i < 48 * 1024; i++) {
                w.write(filler);
            }
        }
        awaitLine(line -> "config_rejected".equals(line.path("event").asText())
                && line.path("errors").asText().contains("OutOfMemoryError"), Duration.ofSeconds(30));
        assertThat(get(new InetSocketAddress("127.0.0.1", metricsPort), "/stats/prometheus"))
                .contains("remora_config_rejected_total 1.0");

        Files.writeString(mesh, hello(8083));
        awaitLine(line -> "config_applied".equals(line.path("event").asText()), Duration.ofSeconds(30));
        assertThat(process.isAlive()).isTrue();
    }

    @Test
    void aListenerPortInUseIsOneLineOnStderrAndExitsOne() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            Path config = Files.writeString(dir.resolve("sidecar.yaml"), sidecar("127.0.0.1:0",
                    "127.0.0.1:" + taken.getLocalPort()));

            process = start("proxy", "--config", config.toString());

            assertExitsOneWith("remora proxy: cannot listen on 127.0.0.1:" + taken.getLocalPort()
                    + " (outbound upstream hello.shop): address already in use");
        }
    }

    @Test
    void aPortBelow1024WithoutThePrivilegeIsPermissionDenied() throws Exception {
        Path config = Files.writeString(dir.resolve("sidecar.yaml"), sidecar("127.0.0.1:1023", "127.0.0.1:0"));

        // As root, the child runs without CAP_NET_BIND_SERVICE, as any other user does.
        boolean root = ((Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid")) == 0;
        process = start(root ? List.of("setpriv", "--bounding-set", "-net_bind_service", "--inh-caps",
                "-net_bind_service") : List.of(), "proxy", "--config", config.toString());

        assertExitsOneWith("remora proxy: cannot listen on 127.0.0.1:1023 (admin): permission denied (ports below"
                + " 1024 need root or CAP_NET_BIND_SERVICE)");
    }

    @Test
    void anAddressNotOfThisMachineIsNotAvailable() throws Exception {
        // TEST-NET-3 (RFC 5737): no interface has it; a bind sends nothing.
        Path config = Files.writeString(dir.resolve("sidecar.yaml"), sidecar("203.0.113.7:15000", "127.0.0.1:0"));

        process = start("proxy", "--config", config.toString());

        assertExitsOneWith("remora proxy: cannot listen on 203.0.113.7:15000 (admin): address not available (not an"
                + " address of this machine)");
    }

    @Test
    void aConfigFileThatDoesNotLoadIsItsErrorOnStderrAndExitsOne() throws Exception {
        Path config = Files.writeString(dir.resolve("sidecar.yaml"), "apiVersion: remora.io/v1\nkind: Sidecar\n"
                + "spec: [\n");

        process = start("proxy", "--config", config.toString());

        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).as(stderr.text()).isEqualTo(1);
        assertThat(stderr.text()).startsWith(config + ":").doesNotContain("Exception").doesNotContain("\tat ");
    }

    @Test
    void aMistakeOnTheSidecarsLaunchLineIsAUsageErrorAndExitsTwo() throws Exception {
        process = start("proxy", "--config");

        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).as(stderr.text()).isEqualTo(2);
        assertThat(stderr.text()).startsWith("remora proxy: ").endsWith("See 'remora proxy --help'.\n");
    }

    @Test
    void theControlPlanesPushPortInUseIsOneLineOnStderrAndExitsOne() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            Path mesh = Files.createDirectories(dir.resolve("mesh"));

            process = start("control-plane", "--config-dir", mesh.toString(), "--ca-dir", dir.resolve("ca").toString(),
                    "--listen", "127.0.0.1:" + taken.getLocalPort(), "--admin", "127.0.0.1:0");

            assertExitsOneWith("remora control-plane: cannot listen on 127.0.0.1:" + taken.getLocalPort()
                    + " (push): address already in use");
        }
    }

    @Test
    void noCommandPrintsUsageOnStderrAndExitsTwo() throws Exception {
        process = start();
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();

        assertThat(process.exitValue()).isEqualTo(2);
        assertThat(stdout.text()).isEmpty();
        assertThat(stderr.text()).startsWith("Usage: remora ").contains("Commands:");
    }

    @Test
    void versionIsTheProjectVersion() throws Exception {
        process = start("--version");
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();

        assertThat(process.exitValue()).as(stderr.text()).isZero();
        assertThat(stdout.text()).isEqualTo("remora " + System.getProperty("remora.version") + "\n");
    }

    /** The child exits 1, and all it wrote on stderr is {@code line}: no stack trace. */
    private void assertExitsOneWith(String line) throws InterruptedException {
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).as(stderr.text()).isEqualTo(1);
        assertThat(stderr.text()).isEqualTo(line + "\n");
    }

    /** A sidecar with its admin port at {@code admin} and one upstream listener at {@code upstream}. */
    private static String sidecar(String admin, String upstream) {
        return TestMesh.of(TestMesh.sidecar("web", "shop").accessLog(true).set("admin", admin)
                .upstream(upstream, "hello.shop"), TestMesh.raw(hello(8080))).yaml();
    }

    /** The Service hello.shop, its one endpoint on {@code port}. */
    private static String hello(int port) {
        return TestMesh.service("hello", "shop").endpoint(TestMesh.loopback(port)).yaml();
    }

    // ---- helpers --------------------------------------------------------------------------------------------

    private Process start(String... args) throws IOException {
        return start(List.of(), Map.of(), args);
    }

    private Process start(Map<String, String> env, String... args) throws IOException {
        return start(List.of(), env, args);
    }

    private Process start(List<String> prefix, String... args) throws IOException {
        return start(prefix, Map.of(), args);
    }

    /**
     * {@code remora args...} in a child JVM with {@code env} added, the command line led by {@code prefix} (e.g.
     * setpriv and its flags).
     */
    private Process start(List<String> prefix, Map<String, String> env, String... args) throws IOException {
        List<String> command = new ArrayList<>(prefix);
        command.add(Paths.get(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(JVM_FLAGS);
        command.add("-cp");
        command.add(testClassPath());
        command.add("io.remora.launcher.Remora");
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command);
        // Config overrides from the environment would change what is tested.
        pb.environment().keySet().removeIf(k -> k.startsWith("REMORA_"));
        pb.environment().putAll(env);
        String name = args.length == 0 ? "remora" : args[0];
        stdout = new OutputCollector(dir.resolve("stdout-" + name + ".txt"));
        stderr = new OutputCollector(dir.resolve("stderr-" + name + ".txt"));
        pb.redirectOutput(stdout.file.toFile());
        pb.redirectError(stderr.file.toFile());
        Process p = pb.start();
        p.getOutputStream().close();
        return p;
    }

    /** Surefire runs tests from a manifest-only jar; the real class path is in its own property. */
    private static String testClassPath() {
        String cp = System.getProperty("surefire.test.class.path");
        return cp != null && !cp.isBlank() ? cp : System.getProperty("java.class.path");
    }

    private static int freePort() throws IOException {
        return io.remora.launcher.testing.FreePorts.next();
    }

    private void awaitReady(InetSocketAddress health, Duration timeout) {
        Eventually.within(timeout).every(Duration.ofMillis(50)).unless(() -> !process.isAlive())
                .reporting(() -> (process.isAlive() ? "" : "remora exited with " + process.exitValue() + "\n")
                        + stdout.text() + stderr.text())
                .until("remora ready", () -> get(health, "/healthz/ready").startsWith("HTTP/1.1 200"));
    }

    private void awaitLine(java.util.function.Predicate<JsonNode> wanted, Duration timeout) {
        Eventually.within(timeout).reporting(stdout::text)
                .until("the line written", () -> stdout.jsonLines().stream().anyMatch(wanted));
    }

    private static List<String> events(List<JsonNode> lines) {
        return lines.stream().filter(l -> l.has("event")).map(l -> l.path("event").asText()).toList();
    }

    /** One GET with {@code Connection: close}; the whole response as text. */
    private static String get(InetSocketAddress to, String path) throws IOException {
        try (Socket s = new Socket()) {
            s.connect(to, 1000);
            s.setSoTimeout(5000);
            s.getOutputStream().write(("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1:" + to.getPort()
                    + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            try {
                s.getInputStream().transferTo(out);
            } catch (SocketTimeoutException e) {
                throw new IOException("no complete answer from " + to + ": " + out, e);
            }
            return out.toString(StandardCharsets.UTF_8);
        }
    }

    /** A child's output, redirected to a file (no pipe to drain, nothing lost when the child exits). */
    private static final class OutputCollector {
        private final Path file;

        OutputCollector(Path file) {
            this.file = file;
        }

        String text() {
            try {
                return Files.exists(file) ? Files.readString(file, StandardCharsets.UTF_8) : "";
            } catch (IOException e) {
                return "(" + file + " unreadable: " + e + ")";
            }
        }

        /** Lines that parse as JSON objects. */
        List<JsonNode> jsonLines() {
            List<JsonNode> out = new ArrayList<>();
            for (String line : text().split("\n")) {
                if (line.startsWith("{") && line.endsWith("}")) {
                    try {
                        out.add(JSON.readTree(line));
                    } catch (IOException e) {
                        throw new AssertionError("stdout line is not JSON: " + line, e);
                    }
                }
            }
            return out;
        }
    }
}
