package io.remora.proxy.tls;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

class RenewalTest {
    private static final Instant ISSUED = Instant.parse("2026-06-01T00:00:00Z");
    private static final Instant EXPIRES = ISSUED.plus(Duration.ofHours(24));

    @Test
    void renewalFallsWithinFivePercentOfHalfTheLifetime() {
        SplittableRandom random = new SplittableRandom(3);
        Duration min = Duration.ofDays(1);
        Duration max = Duration.ZERO;
        for (int i = 0; i < 10_000; i++) {
            Duration d = Renewal.delay(ISSUED, ISSUED, EXPIRES, random);
            min = d.compareTo(min) < 0 ? d : min;
            max = d.compareTo(max) > 0 ? d : max;
        }
        assertThat(min).isBetween(Duration.ofMinutes(648), Duration.ofMinutes(660));
        assertThat(max).isBetween(Duration.ofMinutes(780), Duration.ofMinutes(792));
    }

    @Test
    void anOverdueRenewalIsDueNow() {
        assertThat(Renewal.delay(EXPIRES, ISSUED, EXPIRES, new SplittableRandom(1))).isZero();
        assertThat(Renewal.delay(ISSUED.plus(Duration.ofHours(6)), ISSUED, EXPIRES, new SplittableRandom(1)))
                .isBetween(Duration.ofMinutes(288), Duration.ofMinutes(432));
    }
}
