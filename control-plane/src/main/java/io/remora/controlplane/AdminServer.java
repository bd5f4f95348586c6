package io.remora.controlplane;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.remora.controlplane.push.PushService;
import io.remora.net.ListenFailure;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.BooleanSupplier;

/**
 * The control plane's plain-HTTP side port (15014): {@code /stats/prometheus}, {@code /healthz/ready} (a mesh was
 * built from every source and the push port is open), {@code /healthz/live}, and {@code /debug/proxies} (each
 * connected sidecar with the version it runs). Not on the data path, so the JDK's small HTTP server is enough.
 */
final class AdminServer implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpServer server;
    private final ExecutorService executor = Executors.newFixedThreadPool(2, r -> {
        Thread t = new Thread(r, "remora-cp-admin");
        t.setDaemon(true);
        return t;
    });

    /** Binds {@code listen} and serves; a port that cannot be had is a {@link ListenFailure} (role {@code admin}). */
    AdminServer(InetSocketAddress listen, ControlPlaneMetrics metrics, PushService push, BooleanSupplier ready) {
        try {
            server = HttpServer.create(listen, 16);
        } catch (IOException e) {
            executor.shutdownNow();
            throw ListenFailure.of("admin", listen, e);
        }
        server.createContext("/stats/prometheus", ex -> reply(ex, 200, "text/plain; version=0.0.4", metrics.scrape()));
        server.createContext("/healthz/live", ex -> reply(ex, 200, "text/plain", "live\n"));
        server.createContext("/healthz/ready", ex -> {
            boolean ok = ready.getAsBoolean();
            reply(ex, ok ? 200 : 503, "text/plain", ok ? "ready\n" : "not ready\n");
        });
        server.createContext("/debug/proxies", ex -> {
            List<Map<String, Object>> proxies = new ArrayList<>();
            for (PushService.ProxyStatus p : push.proxies()) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("id", p.id());
                m.put("namespace", p.namespace());
                m.put("workload", p.workload());
                m.put("running", p.running());
                m.put("nacked", p.nacked());
                m.put("last_contact", String.valueOf(p.lastContact()));
                proxies.add(m);
            }
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("mesh_version", push.published().version());
            body.put("proxies", proxies);
            reply(ex, 200, "application/json", JSON.writeValueAsString(body) + "\n");
        });
        // Two threads: a slow /debug/proxies (it waits for the push thread) never holds up /healthz/ready.
        server.setExecutor(executor);
        server.start();
    }

    int port() {
        return server.getAddress().getPort();
    }

    private static void reply(HttpExchange ex, int status, String type, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("content-type", type);
        ex.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(bytes);
        }
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
