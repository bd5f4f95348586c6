package io.remora.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Resilience policies: defaults when absent, partial settings keep the other defaults, bad values located. */
class PolicyValidationTest {
    private static final String SERVICE = """
            apiVersion: remora.io/v1
            kind: Service
            metadata: {name: payments, namespace: shop}
            spec:
              endpoints: [{address: 10.0.0.1:8080}]
            ---
            """;

    @Test
    void absentPoliciesTakeTheDocumentedDefaults() throws Exception {
        Snapshot snapshot = ConfigLoader.parse("s.yaml", SERVICE + """
                apiVersion: remora.io/v1
                kind: Route
                metadata: {name: payments, namespace: shop}
                spec: {services: [payments.shop], rules: [{backends: [{service: payments.shop}]}]}
                """, java.util.Map.of());
        Service.TrafficPolicy policy = snapshot.services().get(0).spec().trafficPolicy();
        assertThat(policy.circuitBreaker()).isEqualTo(Service.CircuitBreaker.defaults());
        assertThat(policy.outlierDetection()).isEqualTo(Service.OutlierDetection.defaults());
        assertThat(policy.retryBudget()).isEqualTo(Service.RetryBudget.defaults());
        Route.Rule rule = snapshot.routes().get(0).spec().rules().get(0);
        assertThat(rule.timeout()).isEqualTo(Duration.ofSeconds(15));
        assertThat(rule.retries()).isEqualTo(Route.Retries.defaults());
        assertThat(rule.fault()).isNull();
        assertThat(rule.rateLimit()).isNull();
    }

    @Test
    void aPartialPolicyKeepsTheDefaultsOfTheFieldsItLeavesOut() throws Exception {
        Snapshot snapshot = ConfigLoader.parse("s.yaml", """
                apiVersion: remora.io/v1
                kind: Service
                metadata: {name: payments, namespace: shop}
                spec:
                  endpoints: [{address: 10.0.0.1:8080}]
                  trafficPolicy:
                    circuitBreaker: {maxRequests: 10}
                    outlierDetection: {consecutive5xxErrors: 3}
                    retryBudget: {percent: 50}
                ---
                apiVersion: remora.io/v1
                kind: Route
                metadata: {name: payments, namespace: shop}
                spec:
                  services: [payments.shop]
                  rules:
                    - backends: [{service: payments.shop}]
                      retries: {nonIdempotent: true, retryOn: [server-error], grpcStatusCodes: [resource-exhausted]}
                      fault: {abort: {percent: 0.5}}
                      rateLimit: {maxTokens: 5}
                """, java.util.Map.of());
        Service.TrafficPolicy policy = snapshot.services().get(0).spec().trafficPolicy();
        assertThat(policy.circuitBreaker()).isEqualTo(new Service.CircuitBreaker(true, 1024, 1024, 10, 3));
        assertThat(policy.outlierDetection().consecutiveGatewayErrors()).isEqualTo(5);
        assertThat(policy.outlierDetection().consecutive5xxErrors()).isEqualTo(3);
        assertThat(policy.outlierDetection().maxEjectionPercent()).isEqualTo(10);
        assertThat(policy.retryBudget()).isEqualTo(new Service.RetryBudget(true, 50, 10, Duration.ofSeconds(10)));
        Route.Rule rule = snapshot.routes().get(0).spec().rules().get(0);
        assertThat(rule.retries().attempts()).isEqualTo(2);
        assertThat(rule.retries().retryOn()).containsExactly(RetryOn.SERVER_ERROR);
        assertThat(rule.retries().grpcStatusCodes()).containsExactly(GrpcStatus.RESOURCE_EXHAUSTED);
        assertThat(rule.fault().abort().percent()).isEqualTo(0.5);
        assertThat(rule.rateLimit()).isEqualTo(new Route.RateLimit(5, 5, Duration.ofSeconds(1)));
    }

    @Test
    void badPolicyValuesAreReportedAtTheirField() {
        String yaml = """
                apiVersion: remora.io/v1
                kind: Service
                metadata: {name: payments, namespace: shop}
                spec:
                  endpoints: [{address: 10.0.0.1:8080}]
                  trafficPolicy:
                    circuitBreaker: {maxRequests: 0}
                    outlierDetection: {maxEjectionPercent: 150, baseEjectionTime: 1m, maxEjectionTime: 10s}
                    retryBudget: {percent: -1}
                ---
                apiVersion: remora.io/v1
                kind: Route
                metadata: {name: payments, namespace: shop}
                spec:
                  services: [payments.shop]
                  rules:
                    - backends: [{service: payments.shop}]
                      timeout: -1s
                      retries: {attempts: 0, statusCodes: [99], retryOn: [sometimes]}
                      fault: {abort: {percent: many, httpStatus: 100}}
                """;

        assertThat(Errors.of(yaml)).containsExactly(
                "s.yaml:7:35: spec.trafficPolicy.circuitBreaker.maxRequests: got \"0\", expected a positive integer",
                "s.yaml:8:44: spec.trafficPolicy.outlierDetection.maxEjectionPercent: got \"150\","
                        + " expected a percentage 0-100",
                "s.yaml:9:28: spec.trafficPolicy.retryBudget.percent: got \"-1\", expected a percentage 0-100",
                "s.yaml:18:16: spec.rules[0].timeout: got \"-1s\", expected a duration like 250ms, 2s, 1m",
                "s.yaml:19:27: spec.rules[0].retries.attempts: got \"0\", expected an integer 1-10 (tries in total;"
                        + " 1 means no retries)",
                "s.yaml:19:44: spec.rules[0].retries.statusCodes[0]: got \"99\", expected an HTTP status 100-599",
                "s.yaml:19:59: spec.rules[0].retries.retryOn[0]: got \"sometimes\", expected one of: connect-failure,"
                        + " refused-stream, reset-before-response, gateway-error, server-error,"
                        + " retriable-status-codes",
                "s.yaml:20:32: spec.rules[0].fault.abort.percent: got \"many\", expected a number like 12 or 0.5",
                "s.yaml:20:50: spec.rules[0].fault.abort.httpStatus: got \"100\", expected an HTTP status 200-599");
    }

    @Test
    void crossFieldPolicyRulesAreExplained() {
        String yaml = """
                apiVersion: remora.io/v1
                kind: Service
                metadata: {name: payments, namespace: shop}
                spec:
                  endpoints: [{address: 10.0.0.1:8080}]
                  trafficPolicy:
                    outlierDetection: {baseEjectionTime: 1m, maxEjectionTime: 10s}
                ---
                apiVersion: remora.io/v1
                kind: Route
                metadata: {name: payments, namespace: shop}
                spec:
                  services: [payments.shop]
                  rules:
                    - backends: [{service: payments.shop}]
                      timeout: 2s
                      retries: {perTryTimeout: 5s, backoff: {baseInterval: 100ms, maxInterval: 10ms}}
                      fault: {abort: {percent: 120}, delay: {percent: 10}}
                      rateLimit: {maxTokens: 5, tokensPerFill: 10, fillInterval: 10ms}
                    - backends: [{service: payments.shop}]
                      timeout: 0s
                      retries: {perTryTimeout: 5s}
                      fault: {}
                """;

        assertThat(Errors.of(yaml)).containsExactly(
                "s.yaml:7:63: spec.trafficPolicy.outlierDetection.maxEjectionTime: got \"10s\", expected at least"
                        + " baseEjectionTime (1m)",
                "s.yaml:17:32: spec.rules[0].retries.perTryTimeout: got \"5s\", expected at most the rule's timeout"
                        + " (2s, the deadline of the whole request, retries included); a try never outlives the"
                        + " deadline, so set timeout: 0s for no deadline and only a per-try limit",
                "s.yaml:17:80: spec.rules[0].retries.backoff.maxInterval: got \"10ms\", expected at least"
                        + " baseInterval (100ms)",
                "s.yaml:18:32: spec.rules[0].fault.abort.percent: got \"120\", expected a percentage 0-100",
                "s.yaml:18:45: spec.rules[0].fault.delay: missing required field 'fixedDelay', expected a duration"
                        + " like 250ms, 2s, 1m",
                "s.yaml:19:48: spec.rules[0].rateLimit.tokensPerFill: got 10, expected at most maxTokens (5): the"
                        + " bucket cannot hold more",
                "s.yaml:19:66: spec.rules[0].rateLimit.fillInterval: got \"10ms\", expected at least 50ms",
                "s.yaml:23:14: spec.rules[1].fault: got no fault, expected abort, delay or both");
    }
}
