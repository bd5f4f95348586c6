package io.remora.proxy.authz;

import io.remora.certs.SpiffeId;
import io.remora.config.AuthorizationPolicy;
import io.remora.config.AuthorizationPolicy.Action;
import io.remora.config.AuthorizationPolicy.Operation;
import io.remora.config.AuthorizationPolicy.Rule;
import io.remora.config.AuthorizationPolicy.Source;
import io.remora.config.Metadata;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class AuthorizerTest {
    private static final SpiffeId WEB = SpiffeId.parse("spiffe://cluster.local/ns/shop/sa/web");
    private static final SpiffeId OPS = SpiffeId.parse("spiffe://cluster.local/ns/ops/sa/tool");

    private static AuthorizationPolicy policy(String name, String namespace, List<String> workloads, Action action,
                                              Rule... rules) {
        return new AuthorizationPolicy(Metadata.of(name, namespace),
                new AuthorizationPolicy.Spec(workloads, action, List.of(rules)));
    }

    private static Rule rule(List<String> principals, List<String> namespaces, List<String> paths,
                             List<String> methods) {
        return new Rule(new Source(principals, namespaces), new Operation(paths, methods));
    }

    @Test
    void noPolicyAllowsEverythingAndPoliciesOfOtherWorkloadsOrNamespacesDoNotApply() {
        assertThat(Authorizer.compile(List.of(), "payments", "shop").allowsAll()).isTrue();
        Authorizer a = Authorizer.compile(List.of(
                policy("p", "other", List.of(), Action.ALLOW),
                policy("q", "shop", List.of("reviews"), Action.ALLOW)), "payments", "shop");
        assertThat(a.allowsAll()).isTrue();
    }

    @Test
    void allowPoliciesMustMatchAndWildcardsWorkAtEitherEnd() {
        Authorizer a = Authorizer.compile(List.of(policy("p", "shop", List.of(), Action.ALLOW,
                rule(List.of("spiffe://cluster.local/ns/shop/*"), List.of(), List.of("/api/*", "*.json"),
                        List.of("GET")))), "payments", "shop");
        assertThat(a.check(WEB, "/api/orders", "GET")).isNull();
        assertThat(a.check(WEB, "/data.json", "GET")).isNull();
        assertThat(a.check(WEB, "/api/orders", "POST")).isNotNull();
        assertThat(a.check(OPS, "/api/orders", "GET").reason()).isEqualTo("no ALLOW policy matched for " + OPS);
        assertThat(a.check(null, "/api/orders", "GET").reason()).contains("not authenticated");
        assertThat(a.check(WEB, null, null)).as("TCP cannot match a rule with paths").isNotNull();
    }

    @Test
    void denyWinsAndAnAllowPolicyWithoutRulesDeniesEverything() {
        Authorizer a = Authorizer.compile(List.of(
                policy("all", "shop", List.of(), Action.ALLOW, new Rule(null, null)),
                policy("no-ops", "shop", List.of(), Action.DENY, rule(List.of(), List.of("ops"), List.of(), List.of()))),
                "payments", "shop");
        assertThat(a.check(WEB, "/", "GET")).isNull();
        assertThat(a.check(OPS, "/", "GET").policy()).isEqualTo("no-ops.shop");
        Authorizer none = Authorizer.compile(List.of(policy("empty", "shop", List.of(), Action.ALLOW)),
                "payments", "shop");
        assertThat(none.check(WEB, "/", "GET")).isNotNull();
        Authorizer denyTcp = Authorizer.compile(List.of(policy("d", "shop", List.of(), Action.DENY,
                rule(List.of(), List.of(), List.of("/admin"), List.of()))), "payments", "shop");
        assertThat(denyTcp.check(WEB, null, null)).as("when unsure, a DENY refuses TCP").isNotNull();
        assertThat(denyTcp.check(WEB, "/", "GET")).isNull();
    }
}
