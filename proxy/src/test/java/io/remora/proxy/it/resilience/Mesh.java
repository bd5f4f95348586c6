package io.remora.proxy.it.resilience;

import io.remora.config.testing.TestMesh;
import io.remora.config.testing.TestMesh.Rule;
import io.remora.config.testing.TestMesh.ServiceDoc;
import io.remora.proxy.ProxyServer;
import io.remora.proxy.it.edge.Edge;
import io.remora.proxy.it.http.Proxies;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.function.Consumer;

/**
 * One sidecar (one event loop, no access log, loopback port 0 everywhere) with a single service {@code svc.test}
 * and a Route whose one rule carries the policy under test; plus a JDK client through its upstream listener.
 */
final class Mesh implements AutoCloseable {
    static final String SERVICE = "svc.test";
    static final String FLAGS = "x-remora-response-flags";

    final ProxyServer proxy;
    final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private final URI base;

    /**
     * @param protocol      the service's protocol
     * @param trafficPolicy YAML of {@code spec.trafficPolicy} (flow style), or null
     * @param rule          the rule's policy fields ({@code r -> r.set("timeout", "30s")}), or null for the defaults
     */
    Mesh(String protocol, String trafficPolicy, Consumer<Rule> rule, InetSocketAddress... endpoints)
            throws Exception {
        this(io.remora.proxy.ProxyEnvironment.SYSTEM, protocol, trafficPolicy, rule, endpoints);
    }

    /** @param environment the proxy's time and random source (a seeded one makes fault shares exact) */
    Mesh(io.remora.proxy.ProxyEnvironment environment, String protocol, String trafficPolicy, Consumer<Rule> rule,
         InetSocketAddress... endpoints) throws Exception {
        ServiceDoc service = TestMesh.service("svc", "test").protocol(protocol).endpoints((Object[]) endpoints);
        if (trafficPolicy != null) {
            service.trafficPolicy(trafficPolicy);
        }
        TestMesh mesh = TestMesh.of(Proxies.sidecar("svc"), service,
                TestMesh.route("svc", "test").services(SERVICE).rule(r -> {
                    r.backend(SERVICE);
                    if (rule != null) {
                        rule.accept(r);
                    }
                }));
        proxy = ProxyServer.start(mesh.snapshot(), io.remora.log.JsonWriter.stdout(), environment);
        InetSocketAddress listener = proxy.upstreamAddress(SERVICE);
        base = URI.create("http://127.0.0.1:" + listener.getPort());
    }

    InetSocketAddress listener() {
        return proxy.upstreamAddress(SERVICE);
    }

    HttpRequest.Builder request(String path) {
        return HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(20));
    }

    HttpResponse<String> get(String path) throws IOException, InterruptedException {
        return client.send(request(path).GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    HttpResponse<String> post(String path, String body) throws IOException, InterruptedException {
        return client.send(request(path).POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    static String flags(HttpResponse<?> response) {
        return response.headers().firstValue(FLAGS).orElse("");
    }

    /** The body of an admin endpoint ({@code /clusters}...). */
    String admin(String path) throws IOException, InterruptedException {
        InetSocketAddress admin = proxy.adminAddress();
        return client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + admin.getPort() + path)).build(),
                HttpResponse.BodyHandlers.ofString()).body();
    }

    /** Requests the sidecar counted with these response flags (also for responses it forwarded). */
    double requestsFlagged(String responseFlags) throws IOException {
        return metric("istio_requests_total", "response_flags", responseFlags);
    }

    /** Sum of the samples of {@code name} with the given label pairs, scraped now. */
    double metric(String name, String... labels) throws IOException {
        return Edge.sample(Edge.scrape(proxy), name, labels);
    }

    @Override
    public void close() {
        proxy.close();
    }
}
