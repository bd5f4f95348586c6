package io.remora.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class AuthorizationPolicyTest {
    @Test
    void aPolicyLoadsWithItsDefaults() throws Exception {
        Snapshot snapshot = ConfigLoader.parse("s.yaml", """
                apiVersion: remora.io/v1
                kind: AuthorizationPolicy
                metadata: {name: callers, namespace: shop}
                spec:
                  rules:
                    - from: {principals: [spiffe://cluster.local/ns/shop/sa/web]}
                      to: {paths: [/pay, /refund/*], methods: [POST]}
                    - from: {namespaces: [ops]}
                """, Map.of());
        AuthorizationPolicy policy = snapshot.authorizationPolicies().get(0);
        assertThat(policy.spec().action()).isEqualTo(AuthorizationPolicy.Action.ALLOW);
        assertThat(policy.spec().workloads()).isEmpty();
        assertThat(policy.spec().rules()).hasSize(2);
        assertThat(policy.spec().rules().get(1).to()).isNull();
        assertThat(policy.spec().rules().get(0).to().paths()).isEqualTo(List.of("/pay", "/refund/*"));
    }

    @Test
    void badValuesAreReportedAtTheirField() {
        String yaml = """
                apiVersion: remora.io/v1
                kind: AuthorizationPolicy
                metadata: {name: callers, namespace: shop}
                spec:
                  action: MAYBE
                  rules:
                    - from: {principals: [web, "spiffe://a/*/b"], namespaces: ["*o*"]}
                      to: {paths: [pay], methods: [post]}
                """;
        assertThat(Errors.of(yaml)).containsExactly(
                "s.yaml:5:11: spec.action: got \"MAYBE\", expected one of: allow, deny");
        String semantic = yaml.replace("  action: MAYBE\n", "");
        assertThat(Errors.of(semantic)).containsExactly(
                "s.yaml:6:27: spec.rules[0].from.principals[0]: got \"web\", expected a SPIFFE ID like"
                        + " spiffe://cluster.local/ns/shop/sa/web, with at most one * at its start or end",
                "s.yaml:6:32: spec.rules[0].from.principals[1]: got \"spiffe://a/*/b\", expected a SPIFFE ID like"
                        + " spiffe://cluster.local/ns/shop/sa/web, with at most one * at its start or end",
                "s.yaml:6:64: spec.rules[0].from.namespaces[0]: got \"*o*\", expected a namespace, with at most"
                        + " one * at its start or end",
                "s.yaml:7:20: spec.rules[0].to.paths[0]: got \"pay\", expected a path starting with / (or *), with"
                        + " at most one * at its start or end",
                "s.yaml:7:36: spec.rules[0].to.methods[0]: got \"post\", expected an upper-case HTTP method token"
                        + " like GET or POST");
    }
}
