package io.remora.proxy.it.edge;

import io.remora.config.testing.TestMesh;
import io.remora.config.testing.TestMesh.ServiceDoc;
import io.remora.proxy.ProxyServer;
import io.remora.proxy.it.edge.Edge.KeepAlive;
import io.remora.proxy.it.edge.Edge.Reply;
import io.remora.proxy.testing.HttpTestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static io.remora.config.testing.TestMesh.route;
import static io.remora.config.testing.TestMesh.service;
import static io.remora.config.testing.TestMesh.sidecar;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Route rules end to end through an explicit listener: weighted backends split traffic as configured, and path
 * (exact, prefix, regex), method and header matches pick the backend of the first matching rule.
 */
@Timeout(60)
class RoutingTest {
    private static final List<String> RULE_BACKENDS = List.of("exact", "prefix", "regex", "method", "header",
            "combo", "fallback");

    private static final Map<String, HttpTestServer> servers = new LinkedHashMap<>();
    private static ProxyServer proxy;

    @BeforeAll
    static void start() throws Exception {
        for (String name : List.of("v1", "v2")) {
            servers.put(name, new HttpTestServer(name));
        }
        for (String name : RULE_BACKENDS) {
            servers.put(name, new HttpTestServer(name));
        }
        ServiceDoc match = service("match", "test").protocol("http");
        for (String name : RULE_BACKENDS) {
            match.endpoint(servers.get(name).address(), e -> e.set("labels", "{backend: " + name + "}"))
                    .subset(name, "{backend: " + name + "}");
        }
        proxy = Edge.start(TestMesh.of(
                sidecar("edge", "test").threads(2).upstream("canary.test").upstream("match.test").upstream("dark.test"),
                versions("canary"),
                route("canary", "test").services("canary.test").rule(r -> r.name("split")
                        .backend("canary.test", "v1", 70).backend("canary.test", "v2", 30)),
                versions("dark"),
                route("dark", "test").services("dark.test").rule(r -> r.name("v2-dark")
                        .backend("dark.test", "v1", 1).backend("dark.test", "v2", 0)),
                match,
                route("match", "test").services("match.test")
                        .rule(r -> r.name("exact").match("{path: {exact: /exact}}").backend("match.test", "exact"))
                        .rule(r -> r.name("prefix").match("{path: {prefix: /pre/}}").backend("match.test", "prefix"))
                        .rule(r -> r.name("regex").match("{path: {regex: \"/items/[0-9]+\"}}")
                                .backend("match.test", "regex"))
                        .rule(r -> r.name("method").match("{method: DELETE}").backend("match.test", "method"))
                        .rule(r -> r.name("header").match("{headers: {x-tenant: {exact: gold}}}")
                                .match("{headers: {x-plan: {prefix: premium-}}}").backend("match.test", "header"))
                        .rule(r -> r.name("combo").match("{path: {prefix: /combo}, method: POST,"
                                        + " headers: {x-combo: {regex: \"[a-z]+\"}}}")
                                .backend("match.test", "combo"))
                        .rule(r -> r.name("fallback").backend("match.test", "fallback"))));
    }

    /** The service {@code name.test} with the v1 and v2 servers as its subsets v1 and v2. */
    private static ServiceDoc versions(String name) {
        ServiceDoc s = service(name, "test").protocol("http");
        for (String v : List.of("v1", "v2")) {
            s.endpoint(servers.get(v).address(), e -> e.set("labels", "{version: " + v + "}"))
                    .subset(v, "{version: " + v + "}");
        }
        return s;
    }

    @AfterAll
    static void stop() {
        if (proxy != null) {
            proxy.close();
        }
        servers.values().forEach(HttpTestServer::close);
    }

    @Test
    void weightedBackendsSplit70To30() throws Exception {
        int total = 2000;
        long before = servers.get("v1").requestCount() + servers.get("v2").requestCount();
        Map<String, Integer> counts = new TreeMap<>();
        try (KeepAlive c = new KeepAlive(proxy.upstreamAddress("canary.test"))) {
            for (int i = 0; i < total; i++) {
                Reply r = c.get("/name");
                assertThat(r.status()).isEqualTo(200);
                counts.merge(r.bodyText(), 1, Integer::sum);
            }
        }
        assertThat(counts.keySet()).containsExactly("v1", "v2");
        // 70 % +- 5 points; the binomial standard deviation at n = 2000 is about 1 point.
        assertThat(counts.get("v1")).as("v1 of %d: %s", total, counts).isBetween(1300, 1500);
        assertThat(servers.get("v1").requestCount() + servers.get("v2").requestCount()).isEqualTo(before + total);
    }

    @Test
    void backendOfWeightZeroTakesNoTraffic() throws Exception {
        long v2Before = servers.get("v2").requestCount();
        try (KeepAlive c = new KeepAlive(proxy.upstreamAddress("dark.test"))) {
            for (int i = 0; i < 200; i++) {
                assertThat(c.get("/name").bodyText()).isEqualTo("v1");
            }
        }
        assertThat(servers.get("v2").requestCount()).isEqualTo(v2Before);
    }

    @ParameterizedTest(name = "{0} {1} [{2}] -> {3}")
    @CsvSource(delimiter = '|', textBlock = """
            GET    | /exact           |                           | exact
            GET    | /exact?q=1       |                           | exact
            GET    | /exact/          |                           | fallback
            GET    | /exactly         |                           | fallback
            GET    | /pre/x           |                           | prefix
            GET    | /pre             |                           | fallback
            GET    | /items/42        |                           | regex
            GET    | /items/42?x=abc  |                           | regex
            GET    | /items/42/more   |                           | fallback
            GET    | /items/abc       |                           | fallback
            DELETE | /exact           |                           | exact
            DELETE | /anything        |                           | method
            delete | /anything        |                           | fallback
            GET    | /anything        | x-tenant=gold             | header
            GET    | /anything        | X-Tenant=gold             | header
            GET    | /anything        | x-tenant=golden           | fallback
            GET    | /anything        | x-tenant=Gold             | fallback
            GET    | /anything        | x-plan=premium-plus       | header
            GET    | /anything        | x-plan=basic-premium-     | fallback
            GET    | /pre/x           | x-tenant=gold             | prefix
            POST   | /combo/1         | x-combo=abc               | combo
            GET    | /combo/1         | x-combo=abc               | fallback
            POST   | /combo/1         | x-combo=ABC               | fallback
            POST   | /combo/1         |                           | fallback
            POST   | /other           | x-combo=abc               | fallback
            """)
    void firstMatchingRulePicksTheBackend(String method, String path, String header, String expected)
            throws Exception {
        Map<String, String> headers = new LinkedHashMap<>();
        if (header != null) {
            String[] kv = header.split("=", 2);
            headers.put(kv[0], kv[1]);
        }
        long before = servers.get(expected).requestCount();
        try (KeepAlive c = new KeepAlive(proxy.upstreamAddress("match.test"))) {
            Reply r = c.send(method, path, headers);
            assertThat(r.status()).as("status").isEqualTo(200);
            assertThat(r.header("x-served-by")).isEqualTo(expected);
        }
        assertThat(servers.get(expected).requestCount()).isEqualTo(before + 1);
        assertThat(servers.get(expected).lastRequest().method()).isEqualTo(method);
        assertThat(servers.get(expected).lastRequest().uri()).isEqualTo(path);
    }
}
