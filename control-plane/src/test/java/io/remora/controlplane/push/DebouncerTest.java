package io.remora.controlplane.push;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;

class DebouncerTest {
    private static final Instant T0 = Instant.parse("2026-12-01T00:00:00Z");
    private final Debouncer debouncer = new Debouncer(Duration.ofMillis(100), Duration.ofSeconds(1));

    private static Instant at(long millis) {
        return T0.plusMillis(millis);
    }

    @Test
    void nothingPendingIsNeverDue() {
        assertThat(debouncer.deadline()).isNull();
        assertThat(debouncer.due(at(5000))).isFalse();
    }

    @Test
    void aChangeIsDueAfterTheQuietPeriod() {
        debouncer.changed(at(0), false);
        assertThat(debouncer.due(at(99))).isFalse();
        assertThat(debouncer.due(at(100))).isTrue();
        assertThat(debouncer.deadline()).isNull();
    }

    @Test
    void changesInQuickSuccessionMergeIntoOnePush() {
        debouncer.changed(at(0), false);
        debouncer.changed(at(50), false);
        debouncer.changed(at(120), false);
        assertThat(debouncer.due(at(200))).isFalse();
        assertThat(debouncer.deadline()).isEqualTo(at(220));
        assertThat(debouncer.due(at(220))).isTrue();
        assertThat(debouncer.due(at(400))).isFalse();
    }

    @Test
    void aSteadyTrickleIsPushedAtTheMaxDelay() {
        for (int t = 0; t <= 990; t += 90) {
            debouncer.changed(at(t), false);
            assertThat(debouncer.due(at(t))).isFalse();
        }
        assertThat(debouncer.deadline()).isEqualTo(at(1000));
        assertThat(debouncer.due(at(1000))).isTrue();
    }

    @Test
    void anEndpointRemovalIsDueAtOnceAndTakesWhatWasPendingAlong() {
        debouncer.changed(at(0), false);
        debouncer.changed(at(30), true);
        assertThat(debouncer.deadline()).isEqualTo(at(30));
        assertThat(debouncer.due(at(30))).isTrue();
        assertThat(debouncer.deadline()).isNull();
    }
}
