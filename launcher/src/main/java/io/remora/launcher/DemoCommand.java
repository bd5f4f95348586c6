package io.remora.launcher;

import io.netty.channel.EventLoopGroup;
import io.remora.config.ConfigError;
import io.remora.config.ConfigException;
import io.remora.config.ConfigLoader;
import io.remora.config.Snapshot;
import io.remora.proxy.ProxyServer;
import io.remora.proxy.Transport;
import io.remora.proxy.log.Log;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code remora demo}: a local mesh on embedded defaults. Two versions of a demo service, and a sidecar
 * in front of them that splits traffic 90/10 (or by header), with inbound, metrics and admin on Istio's
 * ports. Prints what to curl.
 */
@Command(name = "demo", description = "Run a local demo: two versions of a service behind a sidecar; prints URLs to curl and scrape.")
final class DemoCommand implements Callable<Integer> {
    @Option(names = "--outbound-port", defaultValue = "9001", description = "Port the app calls (default: ${DEFAULT-VALUE}).")
    int outboundPort;

    @Option(names = "--v1-port", defaultValue = "18081", description = "Port of the demo service v1 (default: ${DEFAULT-VALUE}).")
    int v1Port;

    @Option(names = "--v2-port", defaultValue = "18082", description = "Port of the demo service v2 (default: ${DEFAULT-VALUE}).")
    int v2Port;

    @Option(names = "--admin-port", defaultValue = "15000", description = "Admin port (default: ${DEFAULT-VALUE}).")
    int adminPort;

    @Option(names = "--metrics-port", defaultValue = "15020", description = "Metrics port (default: ${DEFAULT-VALUE}).")
    int metricsPort;

    @Option(names = "--health-port", defaultValue = "15021", description = "Health port (default: ${DEFAULT-VALUE}).")
    int healthPort;

    @Option(names = "--inbound-port", defaultValue = "15006", description = "Inbound port (default: ${DEFAULT-VALUE}).")
    int inboundPort;

    @Option(names = "--write-config", description = "Where to write the demo's config (default: a temporary file).")
    Path configFile;

    static String yaml(int outboundPort, int v1Port, int v2Port, int adminPort, int metricsPort, int healthPort,
                       int inboundPort) {
        return """
                # The demo mesh: edit the weights below and restart to shift traffic.
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
                ---
                apiVersion: remora.io/v1
                kind: Service
                metadata: {name: hello, namespace: demo}
                spec:
                  protocol: http
                  endpoints:
                    - {address: 127.0.0.1:%d, labels: {version: v1}}
                    - {address: 127.0.0.1:%d, labels: {version: v2}}
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
                """.formatted(adminPort, metricsPort, healthPort, inboundPort, v1Port, outboundPort, v1Port, v2Port);
    }

    @Override
    public Integer call() throws Exception {
        Log.bridgeJul();
        String text = yaml(outboundPort, v1Port, v2Port, adminPort, metricsPort, healthPort, inboundPort);
        Path file = writeConfig(text);
        Snapshot snapshot;
        try {
            snapshot = ConfigLoader.load(List.of(file), Map.of());
        } catch (ConfigException e) {
            for (ConfigError error : e.errors()) {
                System.err.println(error.format());
            }
            return 1;
        }
        Transport transport = Transport.best();
        EventLoopGroup apps = transport.newGroup(1, "demo-app");
        try (DemoBackend v1 = DemoBackend.start(apps, transport, "127.0.0.1", v1Port, "hello", "v1");
             DemoBackend v2 = DemoBackend.start(apps, transport, "127.0.0.1", v2Port, "hello", "v2")) {
            ProxyServer server = ProxyServer.start(snapshot);
            System.err.println(banner(file, server));
            Signals.drainOnTermination(server);
            server.awaitTermination();
        } finally {
            apps.shutdownGracefully().awaitUninterruptibly();
            Log.flush();
        }
        return 0;
    }

    private Path writeConfig(String text) throws IOException {
        Path file = configFile != null ? configFile : Files.createTempFile("remora-demo-", ".yaml");
        Files.writeString(file, text);
        return file;
    }

    private String banner(Path file, ProxyServer server) {
        String out = "http://127.0.0.1:" + server.upstreamAddress("hello.demo").getPort();
        return """

                Remora demo is running (Ctrl-C drains and stops it).
                  config:          %s
                  demo service:    hello.demo = v1 on 127.0.0.1:%d, v2 on 127.0.0.1:%d

                Try:
                  curl -s %s/                        # through the sidecar: 90%% v1, 10%% v2
                  curl -s -H 'x-version: v2' %s/     # header rule: always v2
                  curl -s http://127.0.0.1:%d/               # inbound listener -> local app (v1)
                  curl -s http://127.0.0.1:%d/stats/prometheus | grep istio_requests_total
                  curl -s http://127.0.0.1:%d/config_dump
                  curl -s http://127.0.0.1:%d/clusters
                  curl -s http://127.0.0.1:%d/healthz/ready
                """.formatted(file, v1Port, v2Port, out, out, server.inboundAddress().getPort(),
                server.metricsAddress().getPort(), server.adminAddress().getPort(), server.adminAddress().getPort(),
                server.healthAddress().getPort());
    }
}
