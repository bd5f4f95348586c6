package io.remora.launcher.e2e;

import io.netty.channel.EventLoopGroup;
import io.remora.certs.CertificateAuthority;
import io.remora.config.ConfigLoader;
import io.remora.config.Snapshot;
import io.remora.config.testing.Eventually;
import io.remora.config.testing.TestMesh;
import io.remora.config.testing.TestMesh.SidecarDoc;
import io.remora.controlplane.ControlPlaneServer;
import io.remora.controlplane.ca.BootstrapTokens;
import io.remora.controlplane.dashboard.MeshScraper;
import io.remora.controlplane.source.DirectorySource;
import io.remora.controlplane.source.MeshSource;
import io.remora.launcher.DemoBackend;
import io.remora.log.JsonWriter;
import io.remora.proxy.ProxyServer;
import io.remora.proxy.Transport;
import io.remora.proxy.controlplane.ControlPlaneSettings;
import io.remora.proxy.policy.Backoff;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A whole local mesh in process, on real loopback sockets, assembled like {@code remora demo}: the control plane on
 * the YAML directory {@code <dir>/mesh} (CA in {@code <dir>/ca}, bootstrap tokens in {@code <dir>/bootstrap-tokens}),
 * two versions of the demo service ({@code DemoBackend} v1 and v2) each behind its own STRICT-mTLS sidecar
 * ({@code hello-v1}, {@code hello-v2}), and two callers' sidecars ({@code caller-a}, {@code caller-b}) each with an
 * upstream listener for {@code hello.demo}. Every sidecar gets its certificate (by CSR, with its bootstrap token) and
 * its config from the control plane, and keeps both in {@code <dir>/state/<name>}.
 *
 * <p>The mesh (the Service, the AuthorizationPolicy {@code callers} and the Route) is written into the directory, or,
 * started with a {@link MeshSetup}, held elsewhere: then nothing is written into {@code <dir>/mesh} (the control
 * plane still watches it, empty) and the setup puts the mesh where its sources read it (e.g. the Kubernetes API).
 *
 * <p>The control plane can be stopped and started again on the same port with the same CA; a sidecar can be stopped
 * and started again from the same Sidecar file (same state directory). Sidecars reconnect quickly (backoff 50 ms up
 * to 500 ms) so the tests stay short.
 */
final class LocalMesh implements AutoCloseable {
    static final String TRUST_DOMAIN = "cluster.local";
    static final String HELLO_ID = "spiffe://" + TRUST_DOMAIN + "/ns/demo/sa/hello";
    static final String CALLER_A = "caller-a";
    static final String CALLER_B = "caller-b";
    static final String HELLO_V1 = "hello-v1";
    static final String HELLO_V2 = "hello-v2";
    static final List<String> SIDECARS = List.of(HELLO_V1, HELLO_V2, CALLER_A, CALLER_B);
    /** The service account each sidecar's bootstrap token is for: the token, not the Sidecar's name, decides. */
    static final Map<String, String> ACCOUNTS = Map.of(HELLO_V1, "hello", HELLO_V2, "hello", CALLER_A, "caller",
            CALLER_B, "caller-b");

    /** Sidecar timing: quick reconnects and certificate retries; a start waits up to 10 s for its certificate. */
    static ControlPlaneSettings settings(Duration startTimeout) {
        ControlPlaneSettings d = ControlPlaneSettings.defaults();
        return new ControlPlaneSettings(Clock.systemUTC(), new Backoff(Duration.ofMillis(50), Duration.ofMillis(500)),
                new Backoff(Duration.ofMillis(50), Duration.ofMillis(500)), startTimeout, d.renewalCheck(),
                Duration.ofSeconds(5));
    }

    final Path dir;
    final Path mesh;
    final Path caDir;
    final Path tokensFile;
    final Path tokens;
    final Path state;
    final Path sidecars;
    final int controlPlanePort;
    final int v1App;
    final int v2App;
    final int v1Inbound;
    final int v2Inbound;
    final Map<String, Integer> upstreamPorts = new LinkedHashMap<>();

    private final Transport transport = Transport.best();
    private final EventLoopGroup apps;
    private final List<AutoCloseable> backends = new ArrayList<>();
    private final Map<String, ProxyServer> proxies = new ConcurrentHashMap<>();
    private volatile ControlPlaneServer server;
    /** The control plane's debounce for its next start: quiet 20 ms, at most 200 ms. */
    volatile Duration quiet = Duration.ofMillis(20);
    volatile Duration maxDelay = Duration.ofMillis(200);
    /** The dashboard's scraping: every 250 ms, rates over 2 s, so a test sees a change within seconds. */
    static final MeshScraper.Settings DASHBOARD = new MeshScraper.Settings(Duration.ofMillis(250), Duration.ofSeconds(2),
            16, Duration.ofSeconds(1), 2);
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    /**
     * Where the mesh is held when it is not in the directory: {@link #prepare} puts it there once, before the control
     * plane's first start; {@link #sources} gives the control plane new sources for each start (a stopped control
     * plane closed the ones it had).
     */
    interface MeshSetup {
        /** Puts the mesh (ports in {@code mesh}) where the sources will read it, before anything starts. */
        void prepare(LocalMesh mesh) throws Exception;

        /** The sources, besides the (empty) mesh directory, for one start of the control plane. */
        List<MeshSource> sources();
    }

    /** Starts everything and waits (bounded) until both callers get 200 from hello.demo. */
    static LocalMesh start(Path dir, int v1Weight, int v2Weight) throws Exception {
        return start(new LocalMesh(dir, v1Weight, v2Weight, null));
    }

    /**
     * Starts everything with the mesh held where {@code setup} puts it (nothing in the directory), and waits
     * (bounded) until both callers get 200 from hello.demo.
     */
    static LocalMesh start(Path dir, MeshSetup setup) throws Exception {
        return start(new LocalMesh(dir, 0, 0, java.util.Objects.requireNonNull(setup, "setup")));
    }

    private static LocalMesh start(LocalMesh m) throws Exception {
        try {
            if (m.setup != null) {
                m.setup.prepare(m);
            }
            m.startAll();
        } catch (Exception | Error e) {
            m.close();
            throw e;
        }
        return m;
    }

    /** Null when the mesh is in the directory. */
    private final MeshSetup setup;

    private LocalMesh(Path dir, int v1Weight, int v2Weight, MeshSetup setup) throws Exception {
        this.dir = dir;
        this.setup = setup;
        this.mesh = Files.createDirectories(dir.resolve("mesh"));
        this.caDir = dir.resolve("ca");
        this.tokens = Files.createDirectories(dir.resolve("tokens"));
        this.state = Files.createDirectories(dir.resolve("state"));
        this.sidecars = Files.createDirectories(dir.resolve("sidecars"));
        this.tokensFile = dir.resolve("bootstrap-tokens");
        this.controlPlanePort = freePort();
        this.v1App = freePort();
        this.v2App = freePort();
        this.v1Inbound = freePort();
        this.v2Inbound = freePort();
        upstreamPorts.put(CALLER_A, freePort());
        upstreamPorts.put(CALLER_B, freePort());
        if (setup == null) {
            Files.writeString(mesh.resolve("hello.yaml"), service(v1Inbound, v2Inbound));
            writeRoute(v1Weight, v2Weight);
        }
        Files.writeString(tokensFile, "# <namespace>/<serviceAccount> <token>\n");
        String hello = BootstrapTokens.add(tokensFile, "demo", "hello");
        Files.writeString(tokens.resolve(HELLO_V1), hello);
        Files.writeString(tokens.resolve(HELLO_V2), hello);
        Files.writeString(tokens.resolve(CALLER_A), BootstrapTokens.add(tokensFile, "demo", ACCOUNTS.get(CALLER_A)));
        Files.writeString(tokens.resolve(CALLER_B), BootstrapTokens.add(tokensFile, "demo", ACCOUNTS.get(CALLER_B)));
        Files.writeString(sidecarFile(HELLO_V1), serviceSidecar(HELLO_V1, v1Inbound, v1App));
        Files.writeString(sidecarFile(HELLO_V2), serviceSidecar(HELLO_V2, v2Inbound, v2App));
        Files.writeString(sidecarFile(CALLER_A), caller(CALLER_A, upstreamPorts.get(CALLER_A), CALLER_A));
        Files.writeString(sidecarFile(CALLER_B), caller(CALLER_B, upstreamPorts.get(CALLER_B), CALLER_B));
        this.apps = transport.newGroup(1, "e2e-app");
    }

    private void startAll() throws Exception {
        startControlPlane();
        backends.add(demoBackend(v1App, "v1"));
        backends.add(demoBackend(v2App, "v2"));
        for (String name : SIDECARS) {
            startSidecar(name);
        }
        for (String caller : List.of(CALLER_A, CALLER_B)) {
            Eventually.eventually(Duration.ofSeconds(15), "caller " + caller + " serves hello.demo",
                    () -> call(caller).statusCode() == 200);
        }
    }

    // ---- the mesh directory ---------------------------------------------------------------------------------

    /** hello.yaml: the Service (both service sidecars' inbound ports, subsets v1/v2) and who may call it. */
    static String service(int v1Inbound, int v2Inbound) {
        return TestMesh.of(TestMesh.service("hello", "demo").protocol("http")
                        .endpoint(TestMesh.loopback(v1Inbound), e -> e.set("labels", "{version: v1}")
                                .set("identity", HELLO_ID))
                        .endpoint(TestMesh.loopback(v2Inbound), e -> e.set("labels", "{version: v2}")
                                .set("identity", HELLO_ID))
                        .subset("v1", "{version: v1}").subset("v2", "{version: v2}"),
                TestMesh.policy("callers", "demo").workloads(HELLO_V1, HELLO_V2).rule("{from: {namespaces: [demo]}}"))
                .yaml();
    }

    static String route(int v1Weight, int v2Weight) {
        return TestMesh.route("hello", "demo").services("hello.demo").rule(r -> r.name("canary")
                .backend("hello.demo", "v1", v1Weight).backend("hello.demo", "v2", v2Weight)).yaml();
    }

    /**
     * Rewrites hello-route.yaml. The directory source notices a change by size and modification time; a rewrite
     * of the same size within the file system's timestamp granularity could go unseen, so the weights are padded
     * with a comment that changes the size every time.
     */
    void writeRoute(int v1Weight, int v2Weight) throws IOException {
        if (setup != null) {
            throw new IllegalStateException("the mesh is not in the directory: change it where the setup put it");
        }
        Path file = mesh.resolve("hello-route.yaml");
        String padding = "#" + "-".repeat(routeWrites++ % 64) + "\n";
        Files.writeString(file, padding + route(v1Weight, v2Weight));
    }

    private int routeWrites;

    // ---- sidecar files --------------------------------------------------------------------------------------

    /** A sidecar of the demo namespace that the control plane configures, with the token file tokens/tokenFile. */
    private SidecarDoc sidecar(String name, String tokenFile) {
        return TestMesh.sidecar(name, "demo").controlPlane(TestMesh.loopback(controlPlanePort),
                tokens.resolve(tokenFile), caDir.resolve("root.pem"), state.resolve(name));
    }

    /** hello-v1 or hello-v2, labelled with its version (what its metrics and the dashboard show). */
    private String serviceSidecar(String name, int inbound, int app) {
        return sidecar(name, name).labels("{app: hello, version: " + name.substring(name.lastIndexOf('-') + 1) + "}")
                .set("inbound.listen", TestMesh.loopback(inbound))
                .set("inbound.app", TestMesh.loopback(app)).set("inbound.appProtocol", "http")
                .mtls("{mode: STRICT}").yaml();
    }

    /** A caller's sidecar: one upstream listener for hello.demo; it reads the token file {@code tokens/<tokenFile>}. */
    String caller(String name, int upstreamPort, String tokenFile) {
        return sidecar(name, tokenFile).upstream(TestMesh.loopback(upstreamPort), "hello.demo")
                .mtls("{mode: PERMISSIVE}").yaml();
    }

    Path sidecarFile(String name) {
        return sidecars.resolve(name + ".yaml");
    }

    // ---- lifecycle ------------------------------------------------------------------------------------------

    ControlPlaneServer controlPlane() {
        ControlPlaneServer s = server;
        if (s == null) {
            throw new IllegalStateException("the control plane is stopped");
        }
        return s;
    }

    /**
     * Starts the control plane on {@link #controlPlanePort} with the CA in {@link #caDir} (created on the first
     * start, loaded after). The port was just freed by a stop, so a bind that fails is retried for a while.
     */
    synchronized ControlPlaneServer startControlPlane() throws Exception {
        if (server != null) {
            throw new IllegalStateException("the control plane is running");
        }
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        List<MeshSource> sources = List.of();
        while (true) {
            try {
                Clock clock = Clock.systemUTC();
                sources = new ArrayList<>();
                sources.add(new DirectorySource(List.of(mesh), clock, 50));
                if (setup != null) {
                    sources.addAll(setup.sources());
                }
                server = ControlPlaneServer.start(new ControlPlaneServer.Options(
                        new InetSocketAddress("127.0.0.1", controlPlanePort), new InetSocketAddress("127.0.0.1", 0),
                        caDir, TRUST_DOMAIN, "demo", CertificateAuthority.DEFAULT_LEAF_TTL, quiet,
                        maxDelay, sources,
                        new BootstrapTokens(tokensFile), clock, DASHBOARD));
                return server;
            } catch (RuntimeException e) {
                // A start that failed leaves sources it may not have started or closed: close each (idempotent).
                for (MeshSource source : sources) {
                    try {
                        source.close();
                    } catch (RuntimeException ignored) {
                        // closing what failed to start; the failure below says what went wrong
                    }
                }
                if (!isBindFailure(e) || System.nanoTime() > deadline) {
                    throw e;
                }
                Thread.sleep(100);
            }
        }
    }

    private static boolean isBindFailure(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof java.net.BindException || String.valueOf(t.getMessage()).contains("Address already in use")) {
                return true;
            }
        }
        return false;
    }

    synchronized void stopControlPlane() {
        ControlPlaneServer s = server;
        server = null;
        if (s != null) {
            s.close();
        }
    }

    /** Starts a sidecar from its Sidecar file (so its state directory is the same every time). */
    ProxyServer startSidecar(String name) throws Exception {
        return startSidecar(name, settings(Duration.ofSeconds(10)));
    }

    ProxyServer startSidecar(String name, ControlPlaneSettings settings) throws Exception {
        if (proxies.containsKey(name)) {
            throw new IllegalStateException(name + " is running");
        }
        Snapshot snapshot = ConfigLoader.load(List.of(sidecarFile(name)), Map.of());
        ProxyServer p = ProxyServer.start(snapshot, JsonWriter.stdout(), settings);
        proxies.put(name, p);
        return p;
    }

    void stopSidecar(String name) {
        ProxyServer p = proxies.remove(name);
        if (p != null) {
            p.close();
        }
    }

    ProxyServer sidecar(String name) {
        ProxyServer p = proxies.get(name);
        if (p == null) {
            throw new IllegalStateException(name + " is not running");
        }
        return p;
    }

    @Override
    public void close() {
        // Callers first, then the services, then the control plane: nothing is left reconnecting to a closed one.
        List<String> order = new ArrayList<>(SIDECARS);
        java.util.Collections.reverse(order);
        for (String name : order) {
            try {
                stopSidecar(name);
            } catch (RuntimeException e) {
                System.err.println("closing " + name + ": " + e);
            }
        }
        for (ProxyServer p : List.copyOf(proxies.values())) {
            p.close();
        }
        proxies.clear();
        stopControlPlane();
        for (AutoCloseable b : backends) {
            try {
                b.close();
            } catch (Exception e) {
                System.err.println("closing a backend: " + e);
            }
        }
        apps.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS).awaitUninterruptibly(5,
                java.util.concurrent.TimeUnit.SECONDS);
    }

    /** A demo backend answering JSON that names its version. */
    private AutoCloseable demoBackend(int port, String version) throws Exception {
        return DemoBackend.start(apps, transport, "127.0.0.1", port, "hello", version);
    }

    // ---- traffic --------------------------------------------------------------------------------------------

    int upstreamPort(String caller) {
        return upstreamPorts.get(caller);
    }

    /** {@code GET /} to hello.demo through the caller's upstream listener. */
    HttpResponse<String> call(String caller) throws IOException, InterruptedException {
        return get(upstreamPort(caller), "/");
    }

    HttpResponse<String> get(int port, String path) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
    }

    HttpResponse<String> get(InetSocketAddress at, String path) throws IOException, InterruptedException {
        return get(at.getPort(), path);
    }

    /** The version that answered ({@code v1}, {@code v2}), or {@code "<status> <flags>: <body>"} for anything else. */
    static String versionOf(HttpResponse<String> r) {
        if (r.statusCode() == 200) {
            if (r.body().contains("\"version\":\"v1\"")) {
                return "v1";
            }
            if (r.body().contains("\"version\":\"v2\"")) {
                return "v2";
            }
        }
        return r.statusCode() + " " + r.headers().firstValue("x-remora-response-flags").orElse("-") + ": "
                + r.body().strip();
    }

    /** How many of {@code n} requests through {@code caller} each version (or each other answer) served. */
    Map<String, Integer> versions(String caller, int n) throws IOException, InterruptedException {
        Map<String, Integer> counts = new TreeMap<>();
        for (int i = 0; i < n; i++) {
            counts.merge(versionOf(call(caller)), 1, Integer::sum);
        }
        return counts;
    }

    /** True when all of {@code n} requests through {@code caller} were served by {@code version}. */
    boolean allServedBy(String caller, String version, int n) throws IOException, InterruptedException {
        return versions(caller, n).equals(Map.of(version, n));
    }

    String scrape() {
        return controlPlane().metrics().scrape();
    }

    // ---- waiting --------------------------------------------------------------------------------------------

    /** A loopback port outside the ephemeral range, never handed out twice (io.remora.launcher.testing.FreePorts). */
    static int freePort() throws IOException {
        return io.remora.launcher.testing.FreePorts.next();
    }
}
