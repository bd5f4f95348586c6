package io.remora.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** Errors found while binding YAML to records: each names file:line:col, the field path, the value, the expectation. */
class BindingErrorsTest {
    @Test
    void everyErrorOfADocumentIsReportedAtItsValue() {
        String yaml = """
                apiVersion: remora.io/v1
                kind: Sidecar
                metadata: {name: web}
                spec:
                  treads: 2
                  drainTime: 5
                  accessLog: yes
                  inbound: {app: "127.0.0.1:http", appProtocol: quic}
                  limits: {maxHeaderBytes: 0}
                """;

        assertThat(Errors.of(yaml)).containsExactly(
                "s.yaml:5:3: spec.treads: unknown field 'treads', expected one of: workload, threads, inbound,"
                        + " outbound, admin, metrics, health, drainTime, accessLog, accessLogFields, limits,"
                        + " serverFirstPorts, mtls, controlPlane, tracing, transport; did you mean 'threads'?",
                "s.yaml:6:14: spec.drainTime: got \"5\", expected a duration like 250ms, 2s, 1m",
                "s.yaml:7:14: spec.accessLog: got \"yes\", expected true or false",
                "s.yaml:8:18: spec.inbound.app: got \"127.0.0.1:http\", expected host:port like 127.0.0.1:9001"
                        + " or [::1]:9001 (the port must be a number 0-65535)",
                "s.yaml:8:49: spec.inbound.appProtocol: got \"quic\", expected one of: http, http2, grpc, tcp",
                "s.yaml:9:28: spec.limits.maxHeaderBytes: got \"0\", expected a positive integer");
    }

    @Test
    void errorsOfSeveralDocumentsAreAllReportedInFileOrder() {
        String yaml = """
                apiVersion: remora.io/v1
                kind: Service
                metadata: {name: payments}
                spec:
                  protocol: udp
                ---
                apiVersion: remora.io/v1
                kind: Route
                metadata: {name: payments}
                spec:
                  services: [payments.default]
                  rules:
                    - backends:
                        - {service: payments.default, weight: 1}
                        - {service: payments.default, weight: -3}
                """;

        assertThat(Errors.of(yaml)).containsExactly(
                "s.yaml:5:13: spec.protocol: got \"udp\", expected one of: http, http2, grpc, tcp",
                "s.yaml:15:47: spec.rules[0].backends[1].weight: got \"-3\", expected a non-negative integer");
    }

    @Test
    void wrongNodeTypeNamesTheExpectedType() {
        String yaml = """
                apiVersion: remora.io/v1
                kind: Service
                metadata: {name: payments}
                spec:
                  hosts: payments.example.com
                  endpoints: {address: 10.0.0.1:80}
                  trafficPolicy: [least-request]
                  subsets: [{name: [v1]}]
                """;

        assertThat(Errors.of(yaml)).containsExactly(
                "s.yaml:5:10: spec.hosts: got \"payments.example.com\", expected a list of strings",
                "s.yaml:6:14: spec.endpoints: got a mapping, expected a list of mappings",
                "s.yaml:7:18: spec.trafficPolicy: got a list, expected a mapping with fields: loadBalancer,"
                        + " connectTimeout, upstreamIdleTimeout, circuitBreaker, outlierDetection, retryBudget",
                "s.yaml:8:20: spec.subsets[0].name: got a list, expected a string");
    }

    @Test
    void missingRequiredFieldsAreReportedAtTheirEnclosingMapping() {
        String yaml = """
                apiVersion: remora.io/v1
                kind: Sidecar
                metadata: {namespace: shop}
                spec:
                  outbound:
                    upstreams:
                      - {listen: 127.0.0.1:9001}
                      - service: payments.shop
                        listen:
                """;

        assertThat(Errors.of(yaml)).containsExactly(
                "s.yaml:3:11: metadata.name: missing required field 'name', expected a string",
                "s.yaml:7:9: spec.outbound.upstreams[0].service: missing required field 'service', expected a string",
                "s.yaml:9:16: spec.outbound.upstreams[1].listen: missing required field 'listen', expected"
                        + " host:port like 127.0.0.1:9001 or [::1]:9001");
    }

    @Test
    void documentEnvelopeIsChecked() {
        String yaml = """
                apiVersion: remora.io/v2
                kind: Sevrice
                metadata: {name: a}
                ---
                kind: Service
                metadata: {name: b}
                extra: 1
                ---
                apiVersion: remora.io/v1
                spec: {}
                ---
                - just a list
                """;

        assertThat(Errors.of(yaml)).containsExactly(
                "s.yaml:1:13: apiVersion: got \"remora.io/v2\", expected remora.io/v1",
                "s.yaml:2:7: kind: unknown kind 'Sevrice', expected one of: Sidecar, Service, Route,"
                        + " AuthorizationPolicy;"
                        + " did you mean 'Service'?",
                "s.yaml:5:1: apiVersion: missing required field 'apiVersion', expected remora.io/v1",
                "s.yaml:5:1: spec: missing required field 'spec', expected a mapping with fields: hosts, addresses,"
                        + " protocol, endpoints, subsets, trafficPolicy",
                "s.yaml:7:1: extra: unknown field 'extra', expected one of: apiVersion, kind, metadata, spec",
                "s.yaml:9:1: kind: missing required field 'kind', expected one of: Sidecar, Service, Route,"
                        + " AuthorizationPolicy",
                "s.yaml:9:1: metadata: missing required field 'metadata', expected a mapping with fields: name,"
                        + " namespace, labels",
                "s.yaml:12:1: got a list, expected a mapping with fields: apiVersion, kind, metadata, spec");
    }

    @Test
    void duplicateFieldsAndKeysAndNullItemsAreErrors() {
        String yaml = """
                apiVersion: remora.io/v1
                kind: Service
                metadata:
                  name: payments
                  labels: {app.kubernetes.io/name: pay, app.kubernetes.io/name: again}
                  name: other
                spec:
                  hosts: [a.example.com, ~]
                """;

        assertThat(Errors.of(yaml)).containsExactly(
                "s.yaml:5:41: metadata.labels[\"app.kubernetes.io/name\"]: duplicate key \"app.kubernetes.io/name\""
                        + " (first given at line 5, column 12), expected each key once",
                "s.yaml:6:3: metadata.name: duplicate field 'name' (first given at line 4, column 3),"
                        + " expected each field once",
                "s.yaml:8:26: spec.hosts[1]: got null, expected a string");
    }

    @Test
    void integersMustBeDecimalAndInRange() {
        String yaml = """
                apiVersion: remora.io/v1
                kind: Sidecar
                metadata: {name: web}
                spec:
                  threads: 65
                  serverFirstPorts: [3306, 0x10, 70000]
                  limits: {maxRequestLineBytes: 99999999999, maxConcurrentStreams: 1.5}
                """;

        assertThat(Errors.of(yaml)).containsExactly(
                "s.yaml:5:12: spec.threads: got \"65\", expected an integer 0-64 (0 means one per core)",
                "s.yaml:6:28: spec.serverFirstPorts[1]: got \"0x10\", expected a port number 1-65535",
                "s.yaml:6:34: spec.serverFirstPorts[2]: got \"70000\", expected a port number 1-65535",
                "s.yaml:7:33: spec.limits.maxRequestLineBytes: got \"99999999999\", expected a positive integer",
                "s.yaml:7:68: spec.limits.maxConcurrentStreams: got \"1.5\", expected a positive integer");
    }

    @Test
    void hostPortHostMustBeADnsNameOrIpAddress() {
        String yaml = """
                apiVersion: remora.io/v1
                kind: Sidecar
                metadata: {name: web}
                spec:
                  admin: "my host:15000"
                  metrics: ::1:15020
                  health: "[::1]:15021"
                """;

        assertThat(Errors.of(yaml)).containsExactly(
                "s.yaml:5:10: spec.admin: got \"my host:15000\", expected host:port like 127.0.0.1:9001 or"
                        + " [::1]:9001 whose host is a DNS name or an IP address",
                "s.yaml:6:12: spec.metrics: got \"::1:15020\", expected host:port like 127.0.0.1:9001 or"
                        + " [::1]:9001 (IPv6 addresses are written in brackets)");
    }

    @Test
    void enumsAcceptAnyCaseAndEitherSeparator() throws Exception {
        String yaml = """
                apiVersion: remora.io/v1
                kind: Service
                metadata: {name: a}
                spec: {protocol: GRPC, trafficPolicy: {loadBalancer: Round_Robin}}
                """;

        Service.Spec spec = ConfigLoader.parse("s.yaml", yaml, Map.of()).services().get(0).spec();

        assertThat(spec.protocol()).isEqualTo(Protocol.GRPC);
        assertThat(spec.trafficPolicy().loadBalancer()).isEqualTo(LoadBalancer.ROUND_ROBIN);
    }

    @Test
    void absentPrimitivesTakeTheirDefaultsAndGivenOnesWin() throws Exception {
        String absent = """
                apiVersion: remora.io/v1
                kind: Sidecar
                metadata: {name: web}
                spec: {workload: web-v1}
                """;
        String given = absent.replace("{workload: web-v1}", "{accessLog: false, threads: 0}");

        Sidecar.Spec defaults = ConfigLoader.parse("s.yaml", absent, Map.of()).sidecar().spec();
        Sidecar.Spec explicit = ConfigLoader.parse("s.yaml", given, Map.of()).sidecar().spec();

        assertThat(defaults.workload()).isEqualTo("web-v1");
        assertThat(defaults.accessLog()).isTrue();
        assertThat(defaults.threads()).isEqualTo(Defaults.THREADS);
        assertThat(explicit.accessLog()).isFalse();
        assertThat(explicit.threads()).isZero();
    }

    @Test
    void sidecarWithoutSpecTakesEveryDefault() throws Exception {
        String yaml = """
                apiVersion: remora.io/v1
                kind: Sidecar
                metadata: {name: sidecar}
                """;

        assertThat(ConfigLoader.parse("s.yaml", yaml, Map.of()).sidecar()).isEqualTo(Sidecar.defaults());
    }

    @Test
    void aYamlSyntaxErrorIsReportedAloneAtTheLineThatIsWrong() {
        String yaml = """
                apiVersion: remora.io/v1
                kind: Sidecar
                metadata: {name: web}
                spec: {threads: x}
                ---
                apiVersion: remora.io/v1
                kind: Route
                metadata: {name: r}
                spec:
                  services: [a.b
                  rules: []
                """;

        // Not the earlier document's error, nor the parser's position (line 11): the '[' that is never closed.
        assertThat(Errors.of(yaml)).containsExactly(
                "s.yaml:10:13: a list opened with '[' is never closed, expected ']' at its end");
    }

    @Test
    void tabIndentationIsASyntaxError() {
        assertThat(Errors.of("apiVersion: remora.io/v1\nkind: Sidecar\nspec:\n\tthreads: 1\n"))
                .containsExactly("s.yaml:4:1: a tab character, expected spaces: YAML indents and separates with"
                        + " spaces only");
    }
}
