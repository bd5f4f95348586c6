package io.remora.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** Semantic checks across fields and resources, each located at the offending field. */
class ValidatorTest {
    /** Ten lines: a Service payments.shop with host payments.example.com and one subset v1. */
    private static final String PAYMENTS = """
            apiVersion: remora.io/v1
            kind: Service
            metadata: {name: payments, namespace: shop}
            spec:
              hosts: [payments.example.com]
              endpoints:
                - {address: 10.0.0.1:8080, labels: {version: v1}}
              subsets:
                - {name: v1, labels: {version: v1}}
            ---
            """;

    @Test
    void routeReferencesRulesAndMatchesAreChecked() {
        String yaml = PAYMENTS + """
                apiVersion: remora.io/v1
                kind: Route
                metadata: {name: payments, namespace: shop}
                spec:
                  services: [payments.shop, payments.example.com, paymnts.shop]
                  rules:
                    - backends: [{service: payments.shop, subset: v2}]
                    - backends: [{service: billing.shop}]
                    - backends: [{service: payments.shop, weight: 0}]
                    - name: empty
                    - matches:
                        - path: {exact: /a, prefix: /b}
                        - path: {prefix: api}
                          method: get
                          headers: {"x y": {exact: a}, X-Id: {regex: "(a"}, x-id: {}}
                      backends: [{service: payments.example.com}]
                """;

        assertThat(Errors.of(yaml)).containsExactly(
                "s.yaml:15:51: spec.services[2]: got \"paymnts.shop\", expected a Service key (name.namespace) or"
                        + " host; known services: payments.shop; did you mean 'payments.shop'?",
                "s.yaml:17:51: spec.rules[0].backends[0].subset: got \"v2\", expected a subset of Service"
                        + " payments.shop: v1",
                "s.yaml:18:28: spec.rules[1].backends[0].service: got \"billing.shop\", expected a Service key"
                        + " (name.namespace); known services: payments.shop",
                "s.yaml:19:17: spec.rules[2].backends: weights sum to 0, expected at least one backend with a"
                        + " weight above 0",
                "s.yaml:20:7: spec.rules[3].backends: got no backends, expected at least one backend",
                "s.yaml:22:17: spec.rules[4].matches[0].path: got exact and prefix, expected exactly one of exact,"
                        + " prefix, regex",
                "s.yaml:23:26: spec.rules[4].matches[1].path.prefix: got \"api\", expected a path starting with /",
                "s.yaml:24:19: spec.rules[4].matches[1].method: got \"get\", expected an upper-case HTTP method"
                        + " token like GET or POST",
                "s.yaml:25:28: spec.rules[4].matches[1].headers[\"x y\"]: got \"x y\", expected a header name"
                        + " (letters, digits and !#$%&'*+-.^_`|~)",
                "s.yaml:25:54: spec.rules[4].matches[1].headers.X-Id.regex: got \"(a\", expected a valid regular"
                        + " expression (Unclosed group near index 2)",
                "s.yaml:25:67: spec.rules[4].matches[1].headers.x-id: header \"x-id\" is the same as \"X-Id\""
                        + " (header names ignore case), expected each header once",
                "s.yaml:25:67: spec.rules[4].matches[1].headers.x-id: got none, expected exactly one of exact,"
                        + " prefix, regex",
                "s.yaml:26:28: spec.rules[4].backends[0].service: got \"payments.example.com\", a host of Service"
                        + " payments.shop; expected the Service key payments.shop");
    }

    @Test
    void routeNeedsServicesAndRulesAndAtMostOneRoutePerService() {
        String yaml = PAYMENTS + """
                apiVersion: remora.io/v1
                kind: Route
                metadata: {name: empty, namespace: shop}
                spec: {services: [], rules: []}
                ---
                apiVersion: remora.io/v1
                kind: Route
                metadata: {name: first, namespace: shop}
                spec: {services: [payments.shop], rules: [{backends: [{service: payments.shop}]}]}
                ---
                apiVersion: remora.io/v1
                kind: Route
                metadata: {name: second, namespace: shop}
                spec: {services: [payments.example.com], rules: [{backends: [{service: payments.shop}]}]}
                """;

        assertThat(Errors.of(yaml)).containsExactly(
                "s.yaml:14:18: spec.services: got no services, expected at least one Service key"
                        + " (name.namespace) or host",
                "s.yaml:14:29: spec.rules: got no rules, expected at least one rule",
                "s.yaml:24:19: spec.services[0]: Service payments.shop is already routed by Route first.shop at"
                        + " s.yaml:18:18, expected at most one Route per Service");
    }

    @Test
    void serviceHostsPortsSubsetsAndTimeoutsAreChecked() {
        String yaml = PAYMENTS + """
                apiVersion: remora.io/v1
                kind: Service
                metadata: {name: billing, namespace: shop}
                spec:
                  hosts: [billing_svc, "billing.shop:0", payments.example.com]
                  addresses: [10.96.0.11:0]
                  trafficPolicy: {connectTimeout: 0s}
                  endpoints:
                    - {address: 10.0.0.2:0, labels: {version: v1}, identity: billing}
                  subsets:
                    - {name: v1, labels: {version: v1}}
                    - {name: v1, labels: {version: v2}}
                """;

        assertThat(Errors.of(yaml)).containsExactly(
                "s.yaml:15:11: spec.hosts[0]: got \"billing_svc\", expected a host name like"
                        + " payments.shop.svc.cluster.local, optionally with :port (1-65535)",
                "s.yaml:15:24: spec.hosts[1]: got \"billing.shop:0\", expected a host name like"
                        + " payments.shop.svc.cluster.local, optionally with :port (1-65535)",
                "s.yaml:15:42: spec.hosts[2]: got \"payments.example.com\", which already names Service"
                        + " payments.shop at s.yaml:5:11; expected each host and address to name one Service",
                "s.yaml:16:15: spec.addresses[0]: got \"10.96.0.11:0\", expected a port 1-65535 (port 0 is only"
                        + " for listen addresses)",
                "s.yaml:17:35: spec.trafficPolicy.connectTimeout: got \"0s\", expected a duration above 0 like"
                        + " 250ms, 2s, 1m",
                "s.yaml:19:17: spec.endpoints[0].address: got \"10.0.0.2:0\", expected a port 1-65535 (port 0 is"
                        + " only for listen addresses)",
                "s.yaml:19:62: spec.endpoints[0].identity: got \"billing\", expected a SPIFFE ID like"
                        + " spiffe://cluster.local/ns/shop/sa/payments",
                "s.yaml:22:14: spec.subsets[1].name: duplicate subset \"v1\" (first at s.yaml:21:14), expected"
                        + " unique subset names",
                "s.yaml:22:26: spec.subsets[1].labels: labels {version=v2} select no endpoint, expected labels"
                        + " carried by at least one of the service's 1 endpoint(s)");
    }

    /** What the proxy would refuse to apply is refused here, with its position. */
    @Test
    void endpointIdentitiesAreSpiffeIdsAndRuleWeightsFitAnInt() {
        String yaml = PAYMENTS.replace("8080, labels: {version: v1}}", "8080, labels: {version: v1},"
                + " identity: \"spiffe://Cluster.Local/ns/shop/sa/payments\"}") + """
                apiVersion: remora.io/v1
                kind: Route
                metadata: {name: payments, namespace: shop}
                spec: {services: [payments.shop], rules: [{backends: [{service: payments.shop, weight: 2147483647},
                  {service: payments.shop, weight: 1}]}]}
                """;

        assertThat(Errors.of(yaml)).containsExactly(
                "s.yaml:7:65: spec.endpoints[0].identity: got \"spiffe://Cluster.Local/ns/shop/sa/payments\","
                        + " expected a SPIFFE ID like spiffe://cluster.local/ns/shop/sa/payments",
                "s.yaml:14:54: spec.rules[0].backends: weights sum to 2147483648, expected at most 2147483647"
                        + " (weights are shares, so smaller numbers in the same ratio route alike)");
    }

    @Test
    void serviceWithoutEndpointsIsValid() throws Exception {
        String yaml = """
                apiVersion: remora.io/v1
                kind: Service
                metadata: {name: dark}
                spec: {hosts: ["dark.example.com:8443", 10.1.2.3]}
                """;

        assertThat(ConfigLoader.parse("s.yaml", yaml, Map.of()).services().get(0).spec().endpoints()).isEmpty();
    }

    @Test
    void sidecarListenersUpstreamsAndTimesAreChecked() {
        String yaml = PAYMENTS + """
                apiVersion: remora.io/v1
                kind: Sidecar
                metadata: {name: web, namespace: shop}
                spec:
                  drainTime: 0s
                  metrics: 0.0.0.0:15000
                  health: 127.0.0.1:0
                  inbound: {listen: 127.0.0.1:0, app: 127.0.0.1:0}
                  outbound:
                    capture: {enabled: true, listen: 0.0.0.0:9002}
                    upstreams:
                      - {listen: 127.0.0.1:9001, service: payments.example.com}
                      - {listen: 127.0.0.1:9002, service: billing.shop}
                      - {listen: 127.0.0.1:9001, service: payments.shop}
                ---
                apiVersion: remora.io/v1
                kind: Sidecar
                metadata: {name: other}
                """;

        assertThat(Errors.of(yaml)).containsExactly(
                "s.yaml:15:14: spec.drainTime: got \"0s\", expected a duration above 0 like 250ms, 2s, 1m",
                "s.yaml:16:12: spec.metrics: got \"0.0.0.0:15000\", already bound by spec.admin (127.0.0.1:15000,"
                        + " the default); expected a different port for each listener",
                "s.yaml:18:39: spec.inbound.app: got \"127.0.0.1:0\", expected a port 1-65535 (port 0 is only for"
                        + " listen addresses)",
                "s.yaml:23:18: spec.outbound.upstreams[1].listen: got \"127.0.0.1:9002\", already bound by"
                        + " spec.outbound.capture.listen (0.0.0.0:9002 at s.yaml:20:38); expected a different port"
                        + " for each listener",
                "s.yaml:23:43: spec.outbound.upstreams[1].service: got \"billing.shop\", expected a Service"
                        + " key (name.namespace) or host; known services: payments.shop",
                "s.yaml:24:18: spec.outbound.upstreams[2].listen: got \"127.0.0.1:9001\", already bound by"
                        + " spec.outbound.upstreams[0].listen (127.0.0.1:9001 at s.yaml:22:18); expected a"
                        + " different port for each listener",
                "s.yaml:28:18: metadata.name: a second Sidecar other.default (the first is web.shop at"
                        + " s.yaml:13:18), expected at most one Sidecar: it is the bootstrap of one proxy");
    }

    @Test
    void portZeroIsAllowedForEveryListener() throws Exception {
        String yaml = PAYMENTS + """
                apiVersion: remora.io/v1
                kind: Sidecar
                metadata: {name: web}
                spec:
                  admin: 127.0.0.1:0
                  metrics: 127.0.0.1:0
                  health: 127.0.0.1:0
                  inbound: {listen: 127.0.0.1:0}
                  outbound:
                    capture: {enabled: true, listen: 127.0.0.1:0}
                    upstreams: [{listen: 127.0.0.1:0, service: payments.shop}]
                """;

        Sidecar.Spec spec = ConfigLoader.parse("s.yaml", yaml, Map.of()).sidecar().spec();

        assertThat(spec.admin().port()).isZero();
        assertThat(spec.outbound().upstreams().get(0).listen().port()).isZero();
    }

    @Test
    void duplicateResourcesNameBothLocationsAndNamesAreDnsLabels() {
        String yaml = PAYMENTS + """
                apiVersion: remora.io/v1
                kind: Service
                metadata:
                  name: payments
                  namespace: shop
                spec: {}
                ---
                apiVersion: remora.io/v1
                kind: Route
                metadata: {name: Bad_Name, namespace: shop.eu}
                spec: {services: [payments.shop], rules: [{backends: [{service: payments.shop}]}]}
                """;

        assertThat(Errors.of(yaml)).containsExactly(
                "s.yaml:14:9: metadata.name: duplicate Service payments.shop, first defined at s.yaml:3:18,"
                        + " expected each kind/name/namespace once",
                "s.yaml:20:18: metadata.name: got \"Bad_Name\", expected a DNS-1123 label (lower-case letters,"
                        + " digits and '-', starting and ending with a letter or digit, at most 63 characters)",
                "s.yaml:20:39: metadata.namespace: got \"shop.eu\", expected a DNS-1123 label (lower-case letters,"
                        + " digits and '-', starting and ending with a letter or digit, at most 63 characters)");
    }

    @Test
    void aServiceWithBindingErrorsCausesNoFollowOnErrorsInRoutes() {
        String yaml = """
                apiVersion: remora.io/v1
                kind: Service
                metadata: {name: payments, namespace: shop}
                spec:
                  endpoints: [{address: 10.0.0.1:8080, weight: -1}]
                ---
                apiVersion: remora.io/v1
                kind: Route
                metadata: {name: payments, namespace: shop}
                spec: {services: [pay.example.com], rules: [{backends: [{service: payments.shop, subset: v9}]}]}
                """;

        assertThat(Errors.of(yaml)).containsExactly(
                "s.yaml:5:48: spec.endpoints[0].weight: got \"-1\", expected a positive integer");
    }

    @Test
    void hostsThatTheProxyMatchesAsOneNameOneServiceOnly() {
        String a = """
                apiVersion: remora.io/v1
                kind: Service
                metadata: {name: a, namespace: shop}
                spec: {hosts: [shared.example], endpoints: [{address: 127.0.0.1:1}]}
                ---
                apiVersion: remora.io/v1
                kind: Service
                metadata: {name: b, namespace: shop}
                spec: {hosts: ["%s"], endpoints: [{address: 127.0.0.1:2}]}
                """;
        for (String same : java.util.List.of("Shared.Example:80", "shared.example.", "SHARED.example:8080")) {
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> ConfigLoader.parse("s.yaml", a.formatted(same),
                            java.util.Map.of()))
                    .isInstanceOf(ConfigException.class)
                    .hasMessageContaining("s.yaml:9:")
                    .hasMessageContaining("already names Service a.shop");
        }
    }

    @Test
    void aHostThatIsAnotherServicesClusterDnsNameIsRefused() {
        String text = """
                apiVersion: remora.io/v1
                kind: Service
                metadata: {name: a, namespace: shop}
                spec: {hosts: [b.shop.svc.cluster.local], endpoints: [{address: 127.0.0.1:1}]}
                ---
                apiVersion: remora.io/v1
                kind: Service
                metadata: {name: b, namespace: shop}
                spec: {endpoints: [{address: 127.0.0.1:2}]}
                """;
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> ConfigLoader.parse("s.yaml", text, java.util.Map.of()))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("s.yaml:4:")
                .hasMessageContaining("which is a DNS name of Service b.shop");
    }

    @Test
    void inboundPortsAreEachListedOnceAndNoneIsTheSidecarsOwn() {
        String yaml = """
                apiVersion: remora.io/v1
                kind: Sidecar
                metadata: {name: pod, namespace: shop}
                spec:
                  inbound:
                    ports:
                      - {port: 8080}
                      - {port: 8080, protocol: tcp}
                      - {port: 15020}
                """;

        assertThat(Errors.of(yaml)).containsExactly(
                "s.yaml:8:16: spec.inbound.ports[1].port: got 8080, listed twice; expected each port of the app once",
                "s.yaml:9:16: spec.inbound.ports[2].port: got 15020, the port of spec.metrics; expected a port of the"
                        + " app, not one of the sidecar's own");
    }
}
