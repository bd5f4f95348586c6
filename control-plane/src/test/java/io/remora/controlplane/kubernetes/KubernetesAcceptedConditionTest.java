package io.remora.controlplane.kubernetes;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.remora.config.ConfigError;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The Accepted condition as written into a custom object's status. */
class KubernetesAcceptedConditionTest {
    private static final Instant T1 = Instant.parse("2026-03-01T10:00:00.750Z");
    private static final Instant T2 = Instant.parse("2026-03-01T11:00:00Z");

    @Test
    void errorsAreJoinedAsFieldPathAndMessage() {
        AcceptedCondition condition = AcceptedCondition.rejected(List.of(
                new ConfigError("routes.remora.io/shop/r", 7, 15, "spec.rules[0].backends[0].weight", "got \"-1\""),
                new ConfigError("routes.remora.io/shop/r", 0, 0, "", "cannot read YAML")), 3L);

        assertThat(condition.message()).isEqualTo("spec.rules[0].backends[0].weight: got \"-1\"; cannot read YAML");
        assertThat(condition.status()).isEqualTo("False");
        assertThat(condition.reason()).isEqualTo("Invalid");
    }

    @Test
    void otherConditionsAndStatusFieldsAreKeptAndTheTransitionTimeMovesOnlyOnAChange() {
        Map<String, Object> status = Map.of("phase", "x", "conditions", List.of(
                Map.of("type", "Ready", "status", "True", "reason", "R", "message", "",
                        "lastTransitionTime", "2026-01-01T00:00:00Z")));

        Map<String, Object> rejected = AcceptedCondition.rejected(List.of(), 1L).applyTo(status, T1);
        Map<String, Object> stillRejected = AcceptedCondition.rejected(
                List.of(new ConfigError("f", 0, 0, "spec", "other")), 2L).applyTo(rejected, T2);
        Map<String, Object> accepted = AcceptedCondition.accepted(2L).applyTo(stillRejected, T2);

        assertThat(rejected).containsEntry("phase", "x");
        assertThat(accepted(rejected)).containsEntry("lastTransitionTime", "2026-03-01T10:00:00Z")
                .containsEntry("observedGeneration", 1L).containsEntry("status", "False");
        assertThat(accepted(stillRejected)).containsEntry("lastTransitionTime", "2026-03-01T10:00:00Z")
                .containsEntry("message", "spec: other").containsEntry("observedGeneration", 2L);
        assertThat(accepted(accepted)).containsEntry("lastTransitionTime", "2026-03-01T11:00:00Z")
                .containsEntry("status", "True").containsEntry("reason", "Accepted");
        assertThat((List<?>) accepted.get("conditions")).hasSize(2);
    }

    @Test
    void anObjectAlreadyShowingTheConditionNeedsNoWrite() {
        AcceptedCondition condition = AcceptedCondition.rejected(
                List.of(new ConfigError("f", 0, 0, "spec", "bad")), 4L);
        GenericKubernetesResource object = MockCluster.object(MeshCrd.ROUTE, "shop", "r", "{}");
        assertThat(condition.shownBy(object)).isFalse();
        assertThat(AcceptedCondition.currentStatus(object)).isNull();

        object.getAdditionalProperties().put("status", condition.applyTo(null, T1));

        assertThat(condition.shownBy(object)).isTrue();
        assertThat(AcceptedCondition.currentStatus(object)).isEqualTo("False");
        assertThat(AcceptedCondition.rejected(List.of(new ConfigError("f", 0, 0, "spec", "bad")), 5L)
                .shownBy(object)).isFalse();
    }

    @Test
    void aVeryLongMessageIsCutToTheApisLimit() {
        AcceptedCondition condition = AcceptedCondition.rejected(
                List.of(new ConfigError("f", 0, 0, "spec", "x".repeat(40_000))), 1L);

        assertThat(condition.message()).hasSize(AcceptedCondition.MAX_MESSAGE).endsWith("...");
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> accepted(Map<String, Object> status) {
        return ((List<Map<String, Object>>) status.get("conditions")).stream()
                .filter(c -> "Accepted".equals(c.get("type"))).findFirst().orElseThrow();
    }
}
