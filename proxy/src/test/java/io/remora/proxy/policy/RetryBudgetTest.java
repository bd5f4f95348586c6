package io.remora.proxy.policy;

import io.remora.proxy.testing.ManualTicker;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

class RetryBudgetTest {
    private final ManualTicker ticker = new ManualTicker();

    @Test
    void retriesAreCappedAtTheRatioOfRequestsOverTheWindow() {
        RetryBudget budget = new RetryBudget(0.2, 0, Duration.ofSeconds(10), ticker);
        for (int i = 0; i < 100; i++) {
            budget.onRequest();
        }
        int granted = 0;
        for (int i = 0; i < 100; i++) {
            if (budget.tryRetry()) {
                granted++;
            }
        }
        assertThat(granted).isEqualTo(20);
        assertThat(budget.retriesAllowedNow()).isZero();
    }

    @Test
    void theFloorAllowsSomeRetriesEverySecondEvenWithoutRequests() {
        RetryBudget budget = new RetryBudget(0.2, 10, Duration.ofSeconds(10), ticker);
        assertThat(grant(budget, 50)).isEqualTo(10);
        ticker.advance(Duration.ofSeconds(1));
        assertThat(grant(budget, 50)).isEqualTo(10);
    }

    @Test
    void requestsOlderThanTheWindowNoLongerCount() {
        RetryBudget budget = new RetryBudget(0.5, 0, Duration.ofSeconds(10), ticker);
        for (int i = 0; i < 100; i++) {
            budget.onRequest();
        }
        assertThat(budget.retriesAllowedNow()).isEqualTo(50);
        ticker.advance(Duration.ofSeconds(9));
        assertThat(budget.retriesAllowedNow()).isEqualTo(50);
        ticker.advance(Duration.ofSeconds(1));
        assertThat(budget.retriesAllowedNow()).isZero();
        assertThat(budget.tryRetry()).isFalse();
    }

    @Test
    void retriesSpentAgeOutWithTheirWindowToo() {
        RetryBudget budget = new RetryBudget(0.2, 0, Duration.ofSeconds(2), ticker);
        for (int i = 0; i < 10; i++) {
            budget.onRequest();
        }
        assertThat(grant(budget, 10)).isEqualTo(2);
        ticker.advance(Duration.ofSeconds(2));
        for (int i = 0; i < 10; i++) {
            budget.onRequest();
        }
        assertThat(grant(budget, 10)).isEqualTo(2);
    }

    @Test
    void unlimitedNeverRefuses() {
        assertThat(grant(RetryBudget.UNLIMITED, 1_000)).isEqualTo(1_000);
    }

    private static int grant(RetryBudget budget, int tries) {
        int granted = 0;
        for (int i = 0; i < tries; i++) {
            if (budget.tryRetry()) {
                granted++;
            }
        }
        return granted;
    }
}
