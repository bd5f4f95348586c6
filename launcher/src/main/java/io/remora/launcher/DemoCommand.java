package io.remora.launcher;

import io.netty.channel.EventLoopGroup;
import io.remora.config.ConfigError;
import io.remora.config.ConfigException;
import io.remora.config.ConfigLoader;
import io.remora.config.Snapshot;
import io.remora.certs.CertificateAuthority;
import io.remora.controlplane.ControlPlaneServer;
import io.remora.controlplane.ca.BootstrapTokens;
import io.remora.controlplane.source.DirectorySource;
import io.remora.proxy.ProxyServer;
import io.remora.proxy.Transport;
import io.remora.log.Log;
import io.remora.net.ListenFailure;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code remora demo}: a local mesh on embedded defaults. The control plane on a YAML directory (and its CA, created
 * at start), two versions of a demo service each with its own sidecar (STRICT mutual TLS), and the caller's sidecar
 * in front of them, which splits traffic 90/10 (or by header) over mTLS, with inbound, metrics and admin on Istio's
 * ports. Every sidecar gets its certificate and its config from the control plane; editing the route file in the
 * directory shifts traffic within a second. Prints what to curl, and the control plane's dashboard URL.
 */
@Command(name = "demo", description = "Run a local demo mesh: the control plane on a YAML directory, a caller's"
        + " sidecar and two versions of a service each behind its own sidecar, with mTLS between them; prints URLs to"
        + " curl and scrape and the file to edit.")
final class DemoCommand implements Callable<Integer> {
    @Option(names = "--outbound-port", defaultValue = "9001", description = "Port the app calls (default: ${DEFAULT-VALUE}).")
    int outboundPort;

    @Option(names = "--v1-port", defaultValue = "18081", description = "Port of the demo service v1 (default: ${DEFAULT-VALUE}).")
    int v1Port;

    @Option(names = "--v2-port", defaultValue = "18082", description = "Port of the demo service v2 (default: ${DEFAULT-VALUE}).")
    int v2Port;

    @Option(names = "--v1-sidecar-port", defaultValue = "15106",
            description = "Inbound (mTLS) port of v1's sidecar (default: ${DEFAULT-VALUE}).")
    int v1SidecarPort;

    @Option(names = "--v2-sidecar-port", defaultValue = "15206",
            description = "Inbound (mTLS) port of v2's sidecar (default: ${DEFAULT-VALUE}).")
    int v2SidecarPort;

    @Option(names = "--v1-metrics-port", defaultValue = "15120",
            description = "Metrics port of v1's sidecar (default: ${DEFAULT-VALUE}).")
    int v1MetricsPort;

    @Option(names = "--v2-metrics-port", defaultValue = "15220",
            description = "Metrics port of v2's sidecar (default: ${DEFAULT-VALUE}).")
    int v2MetricsPort;

    @Option(names = "--admin-port", defaultValue = "15000", description = "Admin port (default: ${DEFAULT-VALUE}).")
    int adminPort;

    @Option(names = "--metrics-port", defaultValue = "15020", description = "Metrics port (default: ${DEFAULT-VALUE}).")
    int metricsPort;

    @Option(names = "--health-port", defaultValue = "15021", description = "Health port (default: ${DEFAULT-VALUE}).")
    int healthPort;

    @Option(names = "--inbound-port", defaultValue = "15006", description = "Inbound port (default: ${DEFAULT-VALUE}).")
    int inboundPort;

    @Option(names = "--dir", description = "Where to write the demo's config and certificates (default: a temporary"
            + " directory).")
    Path dir;

    @Option(names = "--control-plane-port", defaultValue = "15010",
            description = "The control plane's push and CA port (default: ${DEFAULT-VALUE}).")
    int controlPlanePort;

    @Option(names = "--control-plane-admin-port", defaultValue = "15014",
            description = "The control plane's metrics and health port (default: ${DEFAULT-VALUE}).")
    int controlPlaneAdminPort;

    static final String TRUST_DOMAIN = "cluster.local";

    /** The service, its route (the file to edit) and who may call it: the control plane's YAML directory. */
    static String service(int v1SidecarPort, int v2SidecarPort) {
        return """
                apiVersion: remora.io/v1
                kind: Service
                metadata: {name: hello, namespace: demo}
                spec:
                  protocol: http
                  endpoints:
                    - {address: 127.0.0.1:%d, labels: {version: v1}, identity: spiffe://%s/ns/demo/sa/hello}
                    - {address: 127.0.0.1:%d, labels: {version: v2}, identity: spiffe://%s/ns/demo/sa/hello}
                  subsets:
                    - {name: v1, labels: {version: v1}}
                    - {name: v2, labels: {version: v2}}
                ---
                apiVersion: remora.io/v1
                kind: AuthorizationPolicy
                metadata: {name: callers, namespace: demo}
                spec:
                  workloads: [hello-v1, hello-v2]
                  rules: [{from: {namespaces: [demo]}}]
                """.formatted(v1SidecarPort, TRUST_DOMAIN, v2SidecarPort, TRUST_DOMAIN);
    }

    static final String ROUTE = """
            # How the callers of hello.demo split their requests. Edit the canary weights and save: the control
            # plane pushes the change to every sidecar that calls hello.demo within a second.
            apiVersion: remora.io/v1
            kind: Route
            metadata: {name: hello, namespace: demo}
            spec:
              services: [hello.demo]
              rules:
                - name: pinned-to-v2
                  matches:
                    - headers: {x-version: {exact: v2}}
                  backends: [{service: hello.demo, subset: v2}]
                - name: canary
                  backends:
                    - {service: hello.demo, subset: v1, weight: 90}
                    - {service: hello.demo, subset: v2, weight: 10}
            """;

    /** The bootstrap part every sidecar shares: where the control plane is and how this workload proves itself. */
    private String controlPlane(Path home, String name) {
        return """
                  controlPlane:
                    address: 127.0.0.1:%d
                    tokenFile: %s
                    trustBundle: %s
                    stateDir: %s
                """.formatted(controlPlanePort, home.resolve("tokens").resolve(name), home.resolve("ca/root.pem"),
                home.resolve("state").resolve(name));
    }

    /** The caller's sidecar: an upstream listener for hello.demo, PERMISSIVE inbound to the local app (v1). */
    String caller(Path home) {
        return """
                apiVersion: remora.io/v1
                kind: Sidecar
                metadata: {name: caller, namespace: demo}
                spec:
                  threads: 1
                  admin: 127.0.0.1:%d
                  metrics: 127.0.0.1:%d
                  health: 127.0.0.1:%d
                  inbound: {listen: 127.0.0.1:%d, app: 127.0.0.1:%d, appProtocol: http}
                  outbound:
                    upstreams:
                      - {listen: 127.0.0.1:%d, service: hello.demo}
                  mtls: {mode: PERMISSIVE}
                """.formatted(adminPort, metricsPort, healthPort, inboundPort, v1Port, outboundPort)
                + controlPlane(home, "caller");
    }

    /**
     * The sidecar of one version of the service: STRICT mTLS in front of its app, its metrics on a fixed port (the
     * server side's view: {@code connection_security_policy="mutual_tls"}).
     */
    String serviceSidecar(Path home, String version, int sidecarPort, int appPort, int metrics) {
        return """
                apiVersion: remora.io/v1
                kind: Sidecar
                metadata: {name: hello-%s, namespace: demo, labels: {app: hello, version: %s}}
                spec:
                  threads: 1
                  accessLog: false
                  admin: 127.0.0.1:0
                  metrics: 127.0.0.1:%d
                  health: 127.0.0.1:0
                  inbound: {listen: 127.0.0.1:%d, app: 127.0.0.1:%d, appProtocol: http}
                  mtls: {mode: STRICT}
                """.formatted(version, version, metrics, sidecarPort, appPort) + controlPlane(home, "hello-" + version);
    }

    @Spec
    CommandSpec spec;

    /** Runs the demo; a port that cannot be had is one line naming it and the option that sets it, exit 1. */
    @Override
    public Integer call() throws Exception {
        try {
            return run();
        } catch (ListenFailure e) {
            // What was started before it is closed by now (try-with-resources in run).
            String option = optionOf(e.port());
            return Remora.fail(spec.commandLine(), e.getMessage()
                    + (option == null ? "" : "; choose another port with " + option));
        }
    }

    /** The port option (an {@code int} one) whose value is {@code port}, or null. */
    private String optionOf(int port) {
        return spec.options().stream()
                .filter(o -> o.type() == int.class && Integer.valueOf(port).equals(o.getValue()))
                .map(o -> o.longestName()).findFirst().orElse(null);
    }

    private Integer run() throws Exception {
        Log.bridgeJul();
        // Absolute: the sidecars' files name paths under it, and a path in a config resolves against its file.
        Path home = (dir != null ? Files.createDirectories(dir) : Files.createTempDirectory("remora-demo-"))
                .toAbsolutePath();
        Path mesh = Files.createDirectories(home.resolve("mesh"));
        write(mesh.resolve("hello.yaml"), service(v1SidecarPort, v2SidecarPort));
        Path route = write(mesh.resolve("hello-route.yaml"), ROUTE);
        Path tokens = Files.createDirectories(home.resolve("tokens"));
        Path tokensFile = home.resolve("bootstrap-tokens");
        Files.deleteIfExists(tokensFile);
        write(tokens.resolve("caller"), BootstrapTokens.add(tokensFile, "demo", "caller"));
        String hello = BootstrapTokens.add(tokensFile, "demo", "hello");
        write(tokens.resolve("hello-v1"), hello);
        write(tokens.resolve("hello-v2"), hello);
        Clock clock = Clock.systemUTC();
        ControlPlaneServer controlPlane = ControlPlaneServer.start(new ControlPlaneServer.Options(
                new InetSocketAddress("127.0.0.1", controlPlanePort),
                new InetSocketAddress("127.0.0.1", controlPlaneAdminPort), home.resolve("ca"), TRUST_DOMAIN, "demo",
                CertificateAuthority.DEFAULT_LEAF_TTL, ControlPlaneServer.Options.QUIET,
                ControlPlaneServer.Options.MAX_DELAY, List.of(new DirectorySource(List.of(mesh), clock, 100)),
                new BootstrapTokens(tokensFile), clock));
        Path sidecars = Files.createDirectories(home.resolve("sidecars"));
        Snapshot caller;
        Snapshot helloV1;
        Snapshot helloV2;
        try {
            caller = ConfigLoader.load(List.of(write(sidecars.resolve("caller.yaml"), caller(home))), Map.of());
            helloV1 = ConfigLoader.load(List.of(write(sidecars.resolve("hello-v1.yaml"),
                    serviceSidecar(home, "v1", v1SidecarPort, v1Port, v1MetricsPort))), Map.of());
            helloV2 = ConfigLoader.load(List.of(write(sidecars.resolve("hello-v2.yaml"),
                    serviceSidecar(home, "v2", v2SidecarPort, v2Port, v2MetricsPort))), Map.of());
        } catch (ConfigException e) {
            // Where every other message of the command goes (picocli's error stream).
            for (ConfigError error : e.errors()) {
                spec.commandLine().getErr().println(error.format());
            }
            spec.commandLine().getErr().flush();
            controlPlane.close();
            return 1;
        }
        Transport transport = Transport.best();
        EventLoopGroup apps = transport.newGroup(1, "demo-app");
        try (controlPlane;
             DemoBackend v1 = DemoBackend.start(apps, transport, "127.0.0.1", v1Port, "hello", "v1");
             DemoBackend v2 = DemoBackend.start(apps, transport, "127.0.0.1", v2Port, "hello", "v2");
             ProxyServer v1Proxy = ProxyServer.start(helloV1);
             ProxyServer v2Proxy = ProxyServer.start(helloV2);
             ProxyServer server = ProxyServer.start(caller)) {
            // picocli's error stream (stderr unless a caller chose another): what the user reads, beside the logs.
            spec.commandLine().getErr().println(banner(route, server));
            spec.commandLine().getErr().flush();
            Signals.drainOnTermination(server);
            server.awaitTermination();
        } finally {
            apps.shutdownGracefully().awaitUninterruptibly();
            Log.flush();
        }
        return 0;
    }

    private static Path write(Path file, String text) throws IOException {
        Files.writeString(file, text);
        return file;
    }

    private String banner(Path file, ProxyServer server) {
        String out = "http://127.0.0.1:" + server.upstreamAddress("hello.demo").getPort();
        return """

                Remora demo is running (Ctrl-C drains and stops it).
                  hello.demo v1:   app 127.0.0.1:%d behind its sidecar on 127.0.0.1:%d (STRICT mTLS)
                  hello.demo v2:   app 127.0.0.1:%d behind its sidecar on 127.0.0.1:%d (STRICT mTLS)
                  control plane:   127.0.0.1:%d (push + CA), metrics on 127.0.0.1:%d
                  dashboard:       http://127.0.0.1:%d/dashboard   (services, sidecars, the request graph)
                  to shift traffic, edit the canary weights in %s (pushed within a second)

                Try:
                  curl -s %s/                        # through the sidecars over mTLS: 90%% v1, 10%% v2
                  curl -s -H 'x-version: v2' %s/     # header rule: always v2
                  curl -s http://127.0.0.1:%d/               # inbound listener -> local app (v1)
                  curl -s http://127.0.0.1:%d/stats/prometheus | grep istio_requests_total   # the caller's view
                  curl -s http://127.0.0.1:%d/stats/prometheus | grep 'connection_security_policy="mutual_tls"'   # v1's
                  curl -s http://127.0.0.1:%d/stats/prometheus | grep istio_requests_total   # v2's
                  curl -s http://127.0.0.1:%d/config_dump
                  curl -s http://127.0.0.1:%d/certs          # the caller's SPIFFE ID and certificates
                  curl -s http://127.0.0.1:%d/clusters
                  curl -s http://127.0.0.1:%d/healthz/ready
                  curl -s http://127.0.0.1:%d/debug/proxies      # the control plane: each sidecar and its version
                  curl -s http://127.0.0.1:%d/stats/prometheus | grep remora_cp_
                  remora stat --control-plane 127.0.0.1:%d    # success, rate, latency per caller and version
                """.formatted(v1Port, v1SidecarPort, v2Port, v2SidecarPort, controlPlanePort, controlPlaneAdminPort,
                controlPlaneAdminPort, file, out, out,
                server.inboundAddress().getPort(), server.metricsAddress().getPort(), v1MetricsPort, v2MetricsPort,
                server.adminAddress().getPort(),
                server.adminAddress().getPort(), server.adminAddress().getPort(), server.healthAddress().getPort(),
                controlPlaneAdminPort, controlPlaneAdminPort, controlPlaneAdminPort);
    }
}
