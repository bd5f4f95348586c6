package io.remora.controlplane.kubernetes;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.remora.config.ConfigError;
import io.remora.config.KeepGoodLoader;
import io.remora.controlplane.source.SourceContent;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The control plane's verdict written back into the custom objects: what a user sees in {@code kubectl describe}
 * when the validator rejects their object, and again once they fix it.
 */
@EnableKubernetesMockClient(crud = true, https = false)
class KubernetesSourceStatusTest {
    private static final Instant NOW = Instant.parse("2026-03-01T10:00:00Z");
    private static final String ORIGIN = "routes.remora.io/shop/reviews";

    KubernetesClient client;
    private MockCluster cluster;
    private KubernetesSource source;
    private final MockCluster.Deliveries deliveries = new MockCluster.Deliveries();
    /** What the control plane does with each delivery: validate, keeping the last good content of a bad origin. */
    private final KeepGoodLoader loader = new KeepGoodLoader();

    @BeforeEach
    void setUp() throws Exception {
        cluster = new MockCluster(client);
        cluster.create(MeshCrd.SERVICE, "shop", "reviews", """
                endpoints: [{address: 10.1.0.11:9080, labels: {version: v1}}]
                subsets: [{name: v1, labels: {version: v1}}]
                """);
        source = new KubernetesSource(client, "cluster.local", null, Clock.fixed(NOW, ZoneOffset.UTC));
        source.start(deliveries);
        deliveries.until("the service", c -> c.origins().containsKey("services.remora.io/shop/reviews"));
    }

    @AfterEach
    void tearDown() {
        source.close();
    }

    @Test
    void aNegativeWeightIsReportedInTheStatusAndClearedWhenFixed() throws Exception {
        cluster.create(MeshCrd.ROUTE, "shop", "reviews", route("-1"));
        validateAndReport(deliveries.until("the route", c -> c.origins().containsKey(ORIGIN)));

        Map<String, Object> rejected = acceptedCondition(c -> "False".equals(c.get("status")));
        assertThat(rejected).containsEntry("type", "Accepted").containsEntry("reason", "Invalid");
        assertThat((String) rejected.get("message"))
                .startsWith("spec.rules[0].backends[0].weight: ")
                .contains("-1")
                .doesNotContain(ORIGIN + ":"); // positions in the generated YAML mean nothing to the user
        assertThat(rejected.get("lastTransitionTime")).isEqualTo("2026-03-01T10:00:00Z");

        cluster.update(MeshCrd.ROUTE, "shop", "reviews", route("1"));
        validateAndReport(deliveries.until("the fixed route",
                c -> KubernetesSourceTest.text(c, ORIGIN).contains("weight: 1")));

        Map<String, Object> accepted = acceptedCondition(c -> "True".equals(c.get("status")));
        assertThat(accepted).containsEntry("reason", "Accepted");
    }

    @Test
    void anUnknownFieldInTheSpecIsReportedWithTheValidatorsMessage() throws Exception {
        cluster.create(MeshCrd.ROUTE, "shop", "reviews", """
                services: [reviews.shop]
                rules: [{backends: [{service: reviews.shop}]}]
                retires: {attempts: 3}
                """);
        validateAndReport(deliveries.until("the route", c -> c.origins().containsKey(ORIGIN)));

        Map<String, Object> rejected = acceptedCondition(c -> "False".equals(c.get("status")));
        assertThat((String) rejected.get("message")).startsWith("spec.retires: unknown field 'retires'");
    }

    @Test
    void aRejectedTranslatedServiceHasNoStatusToWriteAndDoesNoHarm() throws Exception {
        source.report(Map.of("services/shop/web", List.of(new ConfigError("services/shop/web", 3, 1,
                "metadata.name", "bad"))), Set.of(ORIGIN, "services.remora.io/shop/reviews"));
        cluster.create(MeshCrd.ROUTE, "shop", "reviews", route("-1"));
        validateAndReport(deliveries.until("the route", c -> c.origins().containsKey(ORIGIN)));

        assertThat(acceptedCondition(c -> "False".equals(c.get("status")))).containsEntry("reason", "Invalid");
        assertThat(cluster.get(MeshCrd.SERVICE, "shop", "reviews").getAdditionalProperties())
                .doesNotContainKey("status");
    }

    private void validateAndReport(SourceContent content) throws Exception {
        KeepGoodLoader.Result result = loader.loadSources(content.origins(), Map.of());
        Set<String> accepted = new HashSet<>(result.sources().keySet());
        accepted.removeAll(result.rejected().keySet());
        source.report(result.rejected(), accepted);
    }

    /** Waits (through a watch, at most 10 s) for the route's Accepted condition to satisfy {@code condition}. */
    @SuppressWarnings("unchecked")
    private Map<String, Object> acceptedCondition(Predicate<Map<String, Object>> condition) {
        GenericKubernetesResource route = client.genericKubernetesResources(MeshCrd.ROUTE.context())
                .inNamespace("shop").withName("reviews")
                .waitUntilCondition(r -> r != null && accepted(r) != null && condition.test(accepted(r)),
                        MockCluster.WAIT.toSeconds(), TimeUnit.SECONDS);
        return accepted(route);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> accepted(GenericKubernetesResource route) {
        Object status = route.getAdditionalProperties().get("status");
        if (status instanceof Map<?, ?> s && s.get("conditions") instanceof List<?> conditions) {
            for (Object c : conditions) {
                if (c instanceof Map<?, ?> m && "Accepted".equals(m.get("type"))) {
                    return (Map<String, Object>) m;
                }
            }
        }
        return null;
    }

    private static String route(String weight) {
        return """
                services: [reviews.shop]
                rules:
                  - backends: [{service: reviews.shop, subset: v1, weight: %s}]
                """.formatted(weight);
    }
}
