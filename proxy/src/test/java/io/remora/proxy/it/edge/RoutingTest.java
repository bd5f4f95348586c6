package io.remora.proxy.it.edge;

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
        StringBuilder ruleEndpoints = new StringBuilder();
        StringBuilder ruleSubsets = new StringBuilder();
        for (String name : RULE_BACKENDS) {
            ruleEndpoints.append("    - {address: 127.0.0.1:").append(servers.get(name).port())
                    .append(", labels: {backend: ").append(name).append("}}\n");
            ruleSubsets.append("    - {name: ").append(name).append(", labels: {backend: ").append(name).append("}}\n");
        }
        proxy = Edge.start("""
                apiVersion: remora.io/v1
                kind: Sidecar
                metadata: {name: edge, namespace: test}
                spec:
                  threads: 2
                  admin: 127.0.0.1:0
                  metrics: 127.0.0.1:0
                  health: 127.0.0.1:0
                  accessLog: false
                  outbound:
                    upstreams:
                      - {listen: 127.0.0.1:0, service: canary.test}
                      - {listen: 127.0.0.1:0, service: match.test}
                      - {listen: 127.0.0.1:0, service: dark.test}
                ---
                apiVersion: remora.io/v1
                kind: Service
                metadata: {name: canary, namespace: test}
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
                metadata: {name: canary, namespace: test}
                spec:
                  services: [canary.test]
                  rules:
                    - name: split
                      backends:
                        - {service: canary.test, subset: v1, weight: 70}
                        - {service: canary.test, subset: v2, weight: 30}
                ---
                apiVersion: remora.io/v1
                kind: Service
                metadata: {name: dark, namespace: test}
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
                metadata: {name: dark, namespace: test}
                spec:
                  services: [dark.test]
                  rules:
                    - name: v2-dark
                      backends:
                        - {service: dark.test, subset: v1, weight: 1}
                        - {service: dark.test, subset: v2, weight: 0}
                ---
                apiVersion: remora.io/v1
                kind: Service
                metadata: {name: match, namespace: test}
                spec:
                  protocol: http
                  endpoints:
                %s  subsets:
                %s---
                apiVersion: remora.io/v1
                kind: Route
                metadata: {name: match, namespace: test}
                spec:
                  services: [match.test]
                  rules:
                    - name: exact
                      matches: [{path: {exact: /exact}}]
                      backends: [{service: match.test, subset: exact}]
                    - name: prefix
                      matches: [{path: {prefix: /pre/}}]
                      backends: [{service: match.test, subset: prefix}]
                    - name: regex
                      matches: [{path: {regex: "/items/[0-9]+"}}]
                      backends: [{service: match.test, subset: regex}]
                    - name: method
                      matches: [{method: DELETE}]
                      backends: [{service: match.test, subset: method}]
                    - name: header
                      matches:
                        - headers: {x-tenant: {exact: gold}}
                        - headers: {x-plan: {prefix: premium-}}
                      backends: [{service: match.test, subset: header}]
                    - name: combo
                      matches:
                        - path: {prefix: /combo}
                          method: POST
                          headers: {x-combo: {regex: "[a-z]+"}}
                      backends: [{service: match.test, subset: combo}]
                    - name: fallback
                      backends: [{service: match.test, subset: fallback}]
                """.formatted(servers.get("v1").port(), servers.get("v2").port(), servers.get("v1").port(),
                servers.get("v2").port(), ruleEndpoints, ruleSubsets));
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
