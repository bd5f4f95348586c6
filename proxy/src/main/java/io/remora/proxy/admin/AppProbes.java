package io.remora.proxy.admin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.netty.handler.codec.http.HttpResponseStatus;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The app's own probes, performed by the sidecar (Istio's app prober). A kubelet probe cannot pass a STRICT mTLS
 * inbound, so the injector points each httpGet/tcpSocket/grpc probe at the health port's
 * {@code /app-health/<container>/{readyz,livez,startupz}} and passes the originals in {@code REMORA_APP_PROBES}
 * (JSON: path → {@code {"httpGet": {...}} | {"tcpSocket": {...}} | {"grpc": {...}}, "timeoutSeconds": n}}); this
 * performs the original against the app on loopback and answers 200 when it passed, 503 when not. An http httpGet
 * passes on 200-399 as the kubelet's does; tcpSocket passes when the port accepts; an https httpGet and a grpc probe
 * pass when their port accepts (neither the app's TLS nor its gRPC health service is spoken). Runs on the admin
 * executor, never on an event loop.
 */
public final class AppProbes {
    /**
     * Jackson is loaded (and its mapper built) only when there are probes to parse: outside a pod, and in a pod
     * without probes, it is a tenth of a second of start-up and a few hundred classes the proxy never needs.
     */
    private static final class Json {
        static final ObjectMapper MAPPER = new ObjectMapper();
    }

    /** One original probe. */
    record Probe(String kind, String host, int port, String scheme, String path, Map<String, String> headers,
                 Duration timeout) {
    }

    private final Map<String, Probe> byPath;
    /**
     * Only when an http probe needs it: building a client initializes the JDK's TLS (its default SSLContext, every
     * security provider) and starts the client's selector thread, which cost a sidecar without such probes a fifth
     * of a second of start-up and a thread.
     */
    private final HttpClient http;

    private AppProbes(Map<String, Probe> byPath) {
        this.byPath = Map.copyOf(byPath);
        this.http = this.byPath.values().stream().anyMatch(AppProbes::isHttpGet)
                ? HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build() : null;
    }

    private static boolean isHttpGet(Probe p) {
        return "httpGet".equals(p.kind()) && "http".equals(p.scheme());
    }

    /** No probes (outside Kubernetes). */
    public static AppProbes none() {
        return new AppProbes(Map.of());
    }

    /**
     * The probes of {@code REMORA_APP_PROBES}; null or blank means none.
     *
     * @throws IllegalArgumentException naming what is wrong with the JSON
     */
    public static AppProbes parse(String json) {
        if (json == null || json.isBlank()) {
            return none();
        }
        JsonNode root;
        try {
            root = Json.MAPPER.readTree(json);
        } catch (IOException e) {
            throw new IllegalArgumentException("REMORA_APP_PROBES is not JSON: " + e.getMessage().lines().findFirst().orElse(""));
        }
        if (!root.isObject()) {
            throw new IllegalArgumentException("REMORA_APP_PROBES: expected a JSON object of path -> probe");
        }
        Map<String, Probe> probes = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> e : root.properties()) {
            String path = e.getKey();
            if (!path.startsWith("/app-health/")) {
                throw new IllegalArgumentException("REMORA_APP_PROBES: " + path + " is not under /app-health/");
            }
            JsonNode p = e.getValue();
            Duration timeout = Duration.ofSeconds(Math.max(1, p.path("timeoutSeconds").asInt(1)));
            String kind = p.has("httpGet") ? "httpGet" : p.has("tcpSocket") ? "tcpSocket"
                    : p.has("grpc") ? "grpc" : null;
            if (kind == null) {
                throw new IllegalArgumentException("REMORA_APP_PROBES: " + path
                        + " has no httpGet, tcpSocket or grpc action");
            }
            JsonNode a = p.get(kind);
            int port = a.path("port").asInt(0);
            if (port < 1 || port > 65535) {
                throw new IllegalArgumentException("REMORA_APP_PROBES: " + path + ": port " + a.path("port")
                        + " is not a port number");
            }
            Map<String, String> headers = new LinkedHashMap<>();
            for (JsonNode h : a.path("httpHeaders")) {
                headers.put(h.path("name").asText(), h.path("value").asText());
            }
            String host = a.path("host").asText("");
            String p0 = a.path("path").asText("/");
            probes.put(path, new Probe(kind, host.isEmpty() ? "127.0.0.1" : host, port,
                    a.path("scheme").asText("HTTP").toLowerCase(java.util.Locale.ROOT), p0.startsWith("/") ? p0
                    : "/" + p0, headers, timeout));
        }
        return new AppProbes(probes);
    }

    /** The paths served, for the health port's router. */
    List<String> paths() {
        return new ArrayList<>(byPath.keySet());
    }

    /** Performs the probe behind {@code path}: 200 when the app passed it, 503 (with the reason) when not. */
    AdminHttp.Response answer(String path) {
        Probe p = byPath.get(path);
        String failure;
        try {
            failure = isHttpGet(p) ? httpGet(p) : connect(p);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            failure = "interrupted";
        }
        return failure == null ? AdminHttp.Response.text(HttpResponseStatus.OK, "ok\n")
                : AdminHttp.Response.text(HttpResponseStatus.SERVICE_UNAVAILABLE, failure + "\n");
    }

    private String httpGet(Probe p) throws InterruptedException {
        URI uri = URI.create(p.scheme() + "://" + hostForUri(p.host()) + ":" + p.port() + p.path());
        HttpRequest.Builder request = HttpRequest.newBuilder(uri).timeout(p.timeout()).GET();
        p.headers().forEach(request::header);
        try {
            int status = http.send(request.build(), HttpResponse.BodyHandlers.discarding()).statusCode();
            return status >= 200 && status < 400 ? null : "the app answered " + status;
        } catch (IOException | IllegalArgumentException e) {
            return "the app's probe failed: " + e.getClass().getSimpleName();
        }
    }

    private static String connect(Probe p) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(p.host(), p.port()), (int) p.timeout().toMillis());
            return null;
        } catch (IOException e) {
            return "the app's port " + p.port() + " does not accept connections";
        }
    }

    private static String hostForUri(String host) {
        return host.indexOf(':') >= 0 ? "[" + host + "]" : host;
    }
}
