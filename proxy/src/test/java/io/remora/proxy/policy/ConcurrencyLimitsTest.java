package io.remora.proxy.policy;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ConcurrencyLimitsTest {
    @Test
    void eachLimitHandsOutItsSlotsAndTakesThemBack() {
        ConcurrencyLimits limits = new ConcurrencyLimits(1, 2, 3, 0);
        assertThat(limits.tryAcquireConnection()).isTrue();
        assertThat(limits.tryAcquireConnection()).isFalse();
        assertThat(limits.tryAcquirePending()).isTrue();
        assertThat(limits.tryAcquirePending()).isTrue();
        assertThat(limits.tryAcquirePending()).isFalse();
        for (int i = 0; i < 3; i++) {
            assertThat(limits.tryAcquireRequest()).isTrue();
        }
        assertThat(limits.tryAcquireRequest()).isFalse();
        assertThat(limits.tryAcquireRetry()).isFalse();
        assertThat(limits.inUse(ConcurrencyLimits.Limit.REQUESTS)).isEqualTo(3);

        limits.releaseRequest();
        assertThat(limits.tryAcquireRequest()).isTrue();
        limits.releaseConnection();
        assertThat(limits.inUse(ConcurrencyLimits.Limit.CONNECTIONS)).isZero();
    }

    @Test
    void releasingASlotNotHeldIsABug() {
        ConcurrencyLimits limits = new ConcurrencyLimits(1, 1, 1, 1);
        assertThatThrownBy(limits::releaseRetry).isInstanceOf(IllegalStateException.class);
        assertThat(limits.inUse(ConcurrencyLimits.Limit.RETRIES)).isZero();
    }

    @Test
    void labelsAreTheMetricLabelValues() {
        assertThat(ConcurrencyLimits.Limit.PENDING.label()).isEqualTo("pending");
        assertThat(ConcurrencyLimits.UNLIMITED.tryAcquireRequest()).isTrue();
    }
}
