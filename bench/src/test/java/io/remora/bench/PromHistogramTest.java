package io.remora.bench;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class PromHistogramTest {
    private static final String BEFORE = """
            # HELP remora_cp_convergence_seconds From a source change seen to the ACK of each sidecar it changed
            # TYPE remora_cp_convergence_seconds histogram
            remora_cp_convergence_seconds_bucket{le="0.1"} 0
            remora_cp_convergence_seconds_bucket{le="0.5"} 2
            remora_cp_convergence_seconds_bucket{le="1.0"} 2
            remora_cp_convergence_seconds_bucket{le="+Inf"} 2
            remora_cp_convergence_seconds_count 2
            remora_cp_convergence_seconds_sum 0.6
            remora_cp_convergence_seconds_max 0.4
            remora_cp_connected_proxies 2.0
            """;
    private static final String AFTER = """
            remora_cp_convergence_seconds_bucket{le="0.1",} 10.0
            remora_cp_convergence_seconds_bucket{le="0.5",} 100.0
            remora_cp_convergence_seconds_bucket{le="1.0",} 101.0
            remora_cp_convergence_seconds_bucket{le="+Inf",} 102.0
            remora_cp_convergence_seconds_count 102.0
            remora_cp_convergence_seconds_sum 30.0
            remora_cp_convergence_seconds_max 1.5
            """;

    @Test
    void readsBucketsCountSumAndMax() {
        PromHistogram h = PromHistogram.parse(BEFORE, "remora_cp_convergence_seconds");
        assertThat(h.buckets()).containsEntry(0.5, 2.0).containsEntry(Double.POSITIVE_INFINITY, 2.0);
        assertThat(h.count()).isEqualTo(2);
        assertThat(h.max()).isEqualTo(0.4);
    }

    @Test
    void aWindowIsTheDifferenceOfTwoScrapes() {
        PromHistogram window = PromHistogram.parse(AFTER, "remora_cp_convergence_seconds")
                .minus(PromHistogram.parse(BEFORE, "remora_cp_convergence_seconds"));
        assertThat(window.count()).isEqualTo(100);
        assertThat(window.quantileBucket(0.5)).isEqualTo("(0.1, 0.5] s");
        assertThat(window.quantileBucket(0.99)).isEqualTo("(0.5, 1] s");
        assertThat(window.quantileBucket(1.0)).isEqualTo("(1, +Inf] s");
        assertThat(window.fractionAtMost(1.0)).isEqualTo(0.99);
        assertThat(window.max()).isEqualTo(1.5);
    }

    @Test
    void anEmptyWindowHasNoQuantile() {
        PromHistogram h = PromHistogram.parse(BEFORE, "remora_cp_convergence_seconds");
        assertThat(h.minus(h).quantileBucket(0.99)).isEqualTo("-");
    }
}
