package io.remora.proxy.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/** {@link WorkloadLabels}' written-out equality is a record's: every component counts, and only they do. */
class WorkloadLabelsTest {
    @Test
    void labelsWithTheSameComponentsAreEqualWithTheSameHash() {
        WorkloadLabels a = new WorkloadLabels("web", "shop", "web", "v1");
        WorkloadLabels b = new WorkloadLabels(new String("web"), new String("shop"), new String("web"), "v1");

        assertThat(a).isEqualTo(b).hasSameHashCodeAs(b);
        assertThat(new WorkloadLabels(null, "", "bad label!", "x".repeat(64))).isEqualTo(WorkloadLabels.NONE);
    }

    @Test
    void labelsThatDifferInAnyComponentDiffer() {
        WorkloadLabels a = new WorkloadLabels("web", "shop", "web", "v1");
        for (WorkloadLabels other : List.of(new WorkloadLabels("api", "shop", "web", "v1"),
                new WorkloadLabels("web", "bank", "web", "v1"), new WorkloadLabels("web", "shop", "api", "v1"),
                new WorkloadLabels("web", "shop", "web", "v2"), new WorkloadLabels("shop", "web", "web", "v1"))) {
            assertThat(a).isNotEqualTo(other);
            assertThat(a.hashCode()).isNotEqualTo(other.hashCode());
        }
        assertThat(a).isNotEqualTo(null).isNotEqualTo("web");
    }
}
