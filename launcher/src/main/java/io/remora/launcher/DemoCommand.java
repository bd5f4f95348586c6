package io.remora.launcher;

import io.netty.channel.EventLoopGroup;
import io.remora.config.ConfigError;
import io.remora.config.ConfigException;
import io.remora.config.ConfigLoader;
import io.remora.config.Snapshot;
import io.remora.certs.CertificateAuthority;
import io.remora.certs.Pem;
import io.remora.proxy.ConfigFileWatcher;
import io.remora.proxy.ProxyServer;
import io.remora.proxy.Transport;
import io.remora.log.Log;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code remora demo}: a local mesh on embedded defaults. Two versions of a demo service, each with its own sidecar
 * (STRICT mutual TLS, SVIDs issued from a demo CA created at start), and the caller's sidecar in front of them,
 * which splits traffic 90/10 (or by header) over mTLS, with inbound, metrics and admin on Istio's ports. The
 * caller's config file is watched: editing its weights shifts traffic within a second. Prints what to curl.
 */
@Command(name = "demo", description = "Run a local demo mesh: a caller's sidecar and two versions of a service,"
        + " each behind its own sidecar, with mTLS between them; prints URLs to curl and scrape and the file to edit.")
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

    static final String TRUST_DOMAIN = "cluster.local";

    /** The caller's sidecar, the service and the route: the file to edit. */
    static String yaml(int outboundPort, int v1SidecarPort, int v2SidecarPort, int adminPort, int metricsPort,
                       int healthPort, int inboundPort, int appPort, Path ca) {
        return """
                # The demo mesh, seen from the caller's sidecar. Edit the weights of the canary rule and save:
                # the sidecar applies the change within a second.
                apiVersion: remora.io/v1
                kind: Sidecar
                metadata: {name: demo, namespace: demo}
                spec:
                  threads: 1
                  admin: 127.0.0.1:%d
                  metrics: 127.0.0.1:%d
                  health: 127.0.0.1:%d
                  inbound: {listen: 127.0.0.1:%d, app: 127.0.0.1:%d, appProtocol: http}
                  outbound:
                    upstreams:
                      - {listen: 127.0.0.1:%d, service: hello.demo}
                  mtls:
                    mode: PERMISSIVE
                    localCa: {certificate: %s, privateKey: %s}
                    trustBundle: %s
                ---
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
                """.formatted(adminPort, metricsPort, healthPort, inboundPort, appPort, outboundPort,
                ca.resolve("root.pem"), ca.resolve("root.key"), ca.resolve("root.pem"), v1SidecarPort, TRUST_DOMAIN,
                v2SidecarPort, TRUST_DOMAIN);
    }

    /** The sidecar of one version of the service: STRICT mTLS in front of its app; who may call it. */
    static String serviceSidecar(String version, int inboundPort, int appPort, Path ca) {
        return """
                apiVersion: remora.io/v1
                kind: Sidecar
                metadata: {name: hello-%s, namespace: demo}
                spec:
                  threads: 1
                  accessLog: false
                  admin: 127.0.0.1:0
                  metrics: 127.0.0.1:0
                  health: 127.0.0.1:0
                  inbound: {listen: 127.0.0.1:%d, app: 127.0.0.1:%d, appProtocol: http}
                  mtls:
                    mode: STRICT
                    localCa: {certificate: %s, privateKey: %s}
                    trustBundle: %s
                    serviceAccount: hello
                ---
                apiVersion: remora.io/v1
                kind: AuthorizationPolicy
                metadata: {name: callers, namespace: demo}
                spec:
                  rules: [{from: {namespaces: [demo]}}]
                """.formatted(version, inboundPort, appPort, ca.resolve("root.pem"), ca.resolve("root.key"),
                ca.resolve("root.pem"));
    }

    @Override
    public Integer call() throws Exception {
        Log.bridgeJul();
        Path home = dir != null ? Files.createDirectories(dir) : Files.createTempDirectory("remora-demo-");
        Path ca = Files.createDirectories(home.resolve("ca"));
        CertificateAuthority root = CertificateAuthority.createRoot(TRUST_DOMAIN, Duration.ofDays(30),
                Clock.systemUTC());
        Pem.writeCertificates(ca.resolve("root.pem"), List.of(root.certificate()));
        Pem.writePrivateKey(ca.resolve("root.key"), root.key());
        Path mesh = write(home.resolve("demo.yaml"), yaml(outboundPort, v1SidecarPort, v2SidecarPort, adminPort,
                metricsPort, healthPort, inboundPort, v1Port, ca));
        Path v1Sidecar = write(home.resolve("hello-v1.yaml"), serviceSidecar("v1", v1SidecarPort, v1Port, ca));
        Path v2Sidecar = write(home.resolve("hello-v2.yaml"), serviceSidecar("v2", v2SidecarPort, v2Port, ca));
        Snapshot caller;
        Snapshot helloV1;
        Snapshot helloV2;
        try {
            caller = ConfigLoader.load(List.of(mesh), Map.of());
            helloV1 = ConfigLoader.load(List.of(v1Sidecar), Map.of());
            helloV2 = ConfigLoader.load(List.of(v2Sidecar), Map.of());
        } catch (ConfigException e) {
            for (ConfigError error : e.errors()) {
                System.err.println(error.format());
            }
            return 1;
        }
        Transport transport = Transport.best();
        EventLoopGroup apps = transport.newGroup(1, "demo-app");
        try (DemoBackend v1 = DemoBackend.start(apps, transport, "127.0.0.1", v1Port, "hello", "v1");
             DemoBackend v2 = DemoBackend.start(apps, transport, "127.0.0.1", v2Port, "hello", "v2");
             ProxyServer v1Proxy = ProxyServer.start(helloV1);
             ProxyServer v2Proxy = ProxyServer.start(helloV2)) {
            ProxyServer server = ProxyServer.start(caller);
            try (ConfigFileWatcher watcher = new ConfigFileWatcher(List.of(mesh), Map.of(), server, 500)) {
                System.err.println(banner(mesh, server));
                Signals.drainOnTermination(server);
                server.awaitTermination();
            }
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
                  to shift traffic, edit the canary weights in %s (applied within a second)

                Try:
                  curl -s %s/                        # through the sidecars over mTLS: 90%% v1, 10%% v2
                  curl -s -H 'x-version: v2' %s/     # header rule: always v2
                  curl -s http://127.0.0.1:%d/               # inbound listener -> local app (v1)
                  curl -s http://127.0.0.1:%d/stats/prometheus | grep istio_requests_total
                  curl -s http://127.0.0.1:%d/config_dump
                  curl -s http://127.0.0.1:%d/certs          # the caller's SPIFFE ID and certificates
                  curl -s http://127.0.0.1:%d/clusters
                  curl -s http://127.0.0.1:%d/healthz/ready
                """.formatted(v1Port, v1SidecarPort, v2Port, v2SidecarPort, file, out, out,
                server.inboundAddress().getPort(), server.metricsAddress().getPort(), server.adminAddress().getPort(),
                server.adminAddress().getPort(), server.adminAddress().getPort(), server.healthAddress().getPort());
    }
}
