package io.remora.launcher;

import io.netty.channel.EventLoopGroup;
import io.remora.config.ConfigLoader;
import io.remora.config.Snapshot;
import io.remora.proxy.ConfigFileWatcher;
import io.remora.proxy.ProxyServer;
import io.remora.proxy.Transport;
import io.remora.proxy.admin.AppProbes;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * The training run from which {@code bin/remora} has a JDK 25 (or later) build its ahead-of-time cache
 * ({@code -XX:AOTCacheOutput}): what a sidecar does from launch to serving, so that later starts find those classes
 * loaded and linked, and their methods' profiles, in the cache (launch to ready in about half the time).
 *
 * <p>It builds the command line {@code main} does for {@code remora proxy}, loads a Sidecar written for it (loopback, every port chosen by the system, the access log on as by default)
 * the way {@code remora proxy --config} does, with its file watcher, starts the proxy with a demo app behind an
 * outbound listener, sends HTTP/1.1 requests on a few keep-alive connections, reads readiness and the metrics as a
 * kubelet and Prometheus would, and stops it with {@code POST /quitquitquit}; the JVM writes the cache as it exits.
 * The environment's {@code REMORA_*} overrides are not applied: the training is the same wherever it runs. Exit 0
 * when all of it went as planned, 1 otherwise; either way a cache is only a start-up aid, and {@code bin/remora}
 * starts without one when there is none.
 */
public final class AotTraining {
    /** Enough for the request path's methods to be profiled and compiled as under load. */
    static final int REQUESTS = 20_000;
    private static final int CONNECTIONS = 4;

    private AotTraining() {
    }

    public static void main(String[] args) throws Exception {
        System.exit(run(REQUESTS) ? 0 : 1);
    }

    /** One training run with {@code requests} proxied requests: true when every step went as planned. */
    static boolean run(int requests) throws Exception {
        // The launch line main reads for `remora proxy --config`, without picocli (whose classes, Java 5 bytecode,
        // are never archived), as a sidecar starts.
        if (SidecarLaunchLine.parse("proxy", "--config", "sidecar.yaml") == null) {
            return false;
        }
        Transport transport = Transport.best();
        EventLoopGroup appGroup = transport.newGroup(1, "training-app");
        Path dir = Files.createTempDirectory("remora-aot-training");
        Path config = dir.resolve("sidecar.yaml");
        try (DemoBackend app = DemoBackend.start(appGroup, transport, "127.0.0.1", 0, "app", "v1")) {
            Files.writeString(config, sidecarYaml(app.address().getPort()));
            List<Path> files = List.of(config);
            Snapshot snapshot = ConfigLoader.load(files, Map.of());
            ProxyServer proxy = ProxyServer.start(snapshot, AppProbes.none(),
                    new ConfigFileWatcher(files, Map.of(), 500));
            boolean served;
            try {
                served = get(proxy.healthAddress(), "/healthz/ready", 1).equals("200")
                        && load(proxy.upstreamAddress("app.training"), requests)
                        && get(proxy.metricsAddress(), "/stats/prometheus", 1).equals("200");
            } finally {
                post(proxy.adminAddress(), "/quitquitquit");
                if (!proxy.awaitTermination(Duration.ofSeconds(10))) {
                    proxy.close();
                }
            }
            return served;
        } finally {
            appGroup.shutdownGracefully(0, 1, TimeUnit.SECONDS).await();
            Files.deleteIfExists(config);
            Files.deleteIfExists(dir);
        }
    }

    private static String sidecarYaml(int appPort) {
        return """
                apiVersion: remora.io/v1
                kind: Sidecar
                metadata: {name: training, namespace: training}
                spec:
                  admin: 127.0.0.1:0
                  metrics: 127.0.0.1:0
                  health: 127.0.0.1:0
                  outbound:
                    upstreams:
                      - {listen: 127.0.0.1:0, service: app.training}
                ---
                apiVersion: remora.io/v1
                kind: Service
                metadata: {name: app, namespace: training}
                spec:
                  endpoints:
                    - {address: 127.0.0.1:%d}
                """.formatted(appPort);
    }

    /** {@code requests} through the proxy on {@link #CONNECTIONS} connections at once; true when all were 200s. */
    private static boolean load(InetSocketAddress proxy, int requests) throws Exception {
        ExecutorService clients = Executors.newFixedThreadPool(CONNECTIONS);
        try {
            List<Future<String>> results = new ArrayList<>();
            for (int i = 0; i < CONNECTIONS; i++) {
                results.add(clients.submit(() -> get(proxy, "/training", requests / CONNECTIONS)));
            }
            boolean ok = true;
            for (Future<String> r : results) {
                ok &= r.get().equals("200");
            }
            return ok;
        } finally {
            clients.shutdownNow();
        }
    }

    /** {@code n} GETs of {@code path} on one keep-alive connection: the last status, or the first that was not 200. */
    private static String get(InetSocketAddress to, String path, int n) throws IOException {
        byte[] request = ("GET " + path + " HTTP/1.1\r\nHost: app.training\r\nUser-Agent: remora-aot-training\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII);
        try (Socket s = new Socket()) {
            s.connect(to, 2_000);
            s.setSoTimeout(5_000);
            OutputStream out = s.getOutputStream();
            InputStream in = new BufferedInputStream(s.getInputStream());
            String status = "none";
            for (int i = 0; i < n && (i == 0 || status.equals("200")); i++) {
                out.write(request);
                out.flush();
                status = readResponse(in);
            }
            return status;
        }
    }

    private static void post(InetSocketAddress to, String path) {
        try (Socket s = new Socket()) {
            s.connect(to, 2_000);
            s.setSoTimeout(5_000);
            s.getOutputStream().write(("POST " + path + " HTTP/1.1\r\nHost: localhost\r\nContent-Length: 0\r\n"
                    + "Connection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            s.getInputStream().readAllBytes();
        } catch (IOException e) {
            // The proxy may close before answering in full; awaitTermination says whether it stopped.
        }
    }

    private static boolean endsWithBlankLine(StringBuilder head) {
        int n = head.length();
        return n >= 4 && head.charAt(n - 1) == '\n' && head.charAt(n - 2) == '\r' && head.charAt(n - 3) == '\n';
    }

    /** Reads one response with a Content-Length body; returns its status code. */
    private static String readResponse(InputStream in) throws IOException {
        StringBuilder head = new StringBuilder();
        while (!endsWithBlankLine(head)) {
            int b = in.read();
            if (b < 0) {
                throw new IOException("connection closed in a response head");
            }
            head.append((char) b);
        }
        String text = head.toString();
        int length = 0;
        for (String line : text.split("\r\n")) {
            int colon = line.indexOf(':');
            if (colon > 0 && line.substring(0, colon).trim().equalsIgnoreCase("content-length")) {
                length = Integer.parseInt(line.substring(colon + 1).trim());
            }
        }
        in.readNBytes(length);
        return text.substring(9, 12);
    }
}
