package io.remora.controlplane;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.remora.controlplane.push.PushService;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.function.BooleanSupplier;

/**
 * The control plane's plain-HTTP side port (15014): {@code /stats/prometheus}, {@code /healthz/ready} (a mesh was
 * built and the push port is open), {@code /healthz/live}, and {@code /debug/proxies} (each connected sidecar with
 * the version it runs). Not on the data path, so the JDK's small HTTP server is enough.
 */
final class AdminServer implements AutoCloseable {
    private final HttpServer server;

    AdminServer(InetSocketAddress listen, ControlPlaneMetrics metrics, PushService push, BooleanSupplier ready)
            throws IOException {
        server = HttpServer.create(listen, 16);
        server.createContext("/stats/prometheus", ex -> reply(ex, 200, "text/plain; version=0.0.4", metrics.scrape()));
        server.createContext("/healthz/live", ex -> reply(ex, 200, "text/plain", "live\n"));
        server.createContext("/healthz/ready", ex -> {
            boolean ok = ready.getAsBoolean();
            reply(ex, ok ? 200 : 503, "text/plain", ok ? "ready\n" : "not ready\n");
        });
        server.createContext("/debug/proxies", ex -> {
            StringBuilder sb = new StringBuilder("{\"mesh_version\":\"").append(push.published().version())
                    .append("\",\"proxies\":[");
            boolean first = true;
            for (PushService.ProxyStatus p : push.proxies()) {
                sb.append(first ? "" : ",").append("{\"id\":\"").append(p.id()).append("\",\"workload\":\"")
                        .append(p.workload()).append("\",\"running\":\"").append(p.running())
                        .append("\",\"nacked\":").append(p.nacked() == null ? "null" : "\"" + p.nacked() + "\"")
                        .append(",\"last_contact\":\"").append(p.lastContact()).append("\"}");
                first = false;
            }
            reply(ex, 200, "application/json", sb.append("]}\n").toString());
        });
        server.setExecutor(java.util.concurrent.Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "remora-cp-admin");
            t.setDaemon(true);
            return t;
        }));
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
    }
}
