package io.remora.launcher.stat;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The table {@code remora stat} prints; the numbers in it are {@code GoldenStats}' (control-plane's tests). */
class StatsTableTest {
    @Test
    void noRequestsIsOneLine() {
        assertThat(Stats.table("", "", 2.0)).isEqualTo("no requests in the last 2.0 s\n");
    }
}
