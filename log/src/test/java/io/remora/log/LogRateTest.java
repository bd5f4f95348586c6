package io.remora.log;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

class LogRateTest {
    @Test
    void logsOncePerIntervalAndReportsWhatItLeftOutWithTheNextLine() {
        AtomicLong now = new AtomicLong(1_000);
        LogRate rate = new LogRate(Duration.ofSeconds(1), now::get);
        assertThat(rate.admit()).isZero();
        for (int i = 0; i < 5; i++) {
            assertThat(rate.admit()).isEqualTo(-1);
        }
        now.addAndGet(Duration.ofMillis(999).toNanos());
        assertThat(rate.admit()).isEqualTo(-1);
        now.addAndGet(Duration.ofMillis(1).toNanos());
        assertThat(rate.admit()).isEqualTo(6);
        now.addAndGet(Duration.ofSeconds(5).toNanos());
        assertThat(rate.admit()).isZero();
    }
}
