package io.remora.controlplane;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.remora.controlplane.dashboard.ClientGate;
import io.remora.controlplane.dashboard.MeshScraper;
import io.remora.controlplane.push.PushService;
import io.remora.net.ListenFailure;

import java.io.IOException;
import java.io.InputStream;
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
import java.util.function.Supplier;

/**
 * The control plane's plain-HTTP side port (15014): {@code /stats/prometheus}, {@code /healthz/ready} (a mesh was
 * built from every source and the push port is open), {@code /healthz/live}, {@code /debug/proxies} (each
 * connected sidecar with the version it runs), and the mesh dashboard: {@code GET /dashboard} (one HTML page with
 * its script, from the classpath) and {@code GET /dashboard/data} (its JSON, rendered once per scrape round by
 * {@link MeshScraper}); at most {@link ClientGate}'s bound of dashboard requests at once, the rest 503. Not on the
 * data path, so the JDK's small HTTP server is enough.
 */
final class AdminServer implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String PAGE = "dashboard/dashboard.html";
    private final HttpServer server;
    private final byte[] page;
    private final ExecutorService executor = Executors.newFixedThreadPool(4, r -> {
        Thread t = new Thread(r, "remora-cp-admin");
        t.setDaemon(true);
        return t;
    });

    /** Binds {@code listen} and serves; a port that cannot be had is a {@link ListenFailure} (role {@code admin}). */
    AdminServer(InetSocketAddress listen, ControlPlaneMetrics metrics, PushService push, BooleanSupplier ready,
                Supplier<byte[]> dashboardData, ClientGate gate) {
        try (InputStream in = AdminServer.class.getResourceAsStream(PAGE)) {
            if (in == null) {
                throw new IllegalStateException(PAGE + " is missing from the classpath");
            }
            page = in.readAllBytes();
        } catch (IOException e) {
            executor.shutdownNow();
            throw new java.io.UncheckedIOException(e);
        }
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
        server.createContext("/dashboard", ex -> {
            String path = ex.getRequestURI().getPath();
            boolean data = path.equals("/dashboard/data");
            if (!data && !path.equals("/dashboard") && !path.equals("/dashboard/")) {
                reply(ex, 404, "text/plain", "no such page: " + path + " (the dashboard is /dashboard, its data"
                        + " /dashboard/data)\n");
                return;
            }
            if (!ex.getRequestMethod().equals("GET")) {
                ex.getResponseHeaders().set("allow", "GET");
                reply(ex, 405, "text/plain", "GET only\n");
                return;
            }
            if (!gate.enter()) {
                ex.getResponseHeaders().set("retry-after", "1");
                reply(ex, 503, "text/plain", "too many dashboard requests at once; try again\n");
                return;
            }
            try {
                ex.getResponseHeaders().set("cache-control", "no-store");
                if (data) {
                    reply(ex, 200, "application/json", dashboardData.get());
                } else {
                    reply(ex, 200, "text/html; charset=utf-8", page);
                }
            } finally {
                gate.leave();
            }
        });
        // Four threads: a slow /debug/proxies (it waits for the push thread) never holds up /healthz/ready, and the
        // dashboard (its gate) takes at most its bound of them.
        server.setExecutor(executor);
        server.start();
    }

    int port() {
        return server.getAddress().getPort();
    }

    private static void reply(HttpExchange ex, int status, String type, String body) throws IOException {
        reply(ex, status, type, body.getBytes(StandardCharsets.UTF_8));
    }

    private static void reply(HttpExchange ex, int status, String type, byte[] bytes) throws IOException {
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
