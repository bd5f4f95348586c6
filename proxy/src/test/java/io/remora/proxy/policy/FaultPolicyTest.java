package io.remora.proxy.policy;

import io.remora.config.GrpcStatus;
import io.remora.config.Route;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class FaultPolicyTest {
    @Test
    void noFaultsCompileToNothing() {
        assertThat(FaultPolicy.of(null)).isNull();
        assertThat(FaultPolicy.of(new Route.Fault(new Route.Abort(0, 503, null), null))).isNull();
    }

    @Test
    void abortHitsItsShareOfRequests() {
        FaultPolicy p = FaultPolicy.of(new Route.Fault(new Route.Abort(12.5, 418, GrpcStatus.ABORTED), null));
        SplittableRandom random = new SplittableRandom(7);
        int hits = 0;
        for (int i = 0; i < 100_000; i++) {
            hits += p.abort(random) ? 1 : 0;
        }
        assertThat(hits / 1000.0).isCloseTo(12.5, within(0.5));
        assertThat(p.abortStatus()).isEqualTo(418);
        assertThat(p.abortGrpcStatus()).isEqualTo(GrpcStatus.ABORTED.code());
        assertThat(p.delay(random)).isFalse();
    }

    @Test
    void hundredPercentAlwaysAndDelayCarriesItsDuration() {
        FaultPolicy p = FaultPolicy.of(new Route.Fault(null, new Route.Delay(100, Duration.ofMillis(250))));
        SplittableRandom random = new SplittableRandom(1);
        for (int i = 0; i < 1000; i++) {
            assertThat(p.delay(random)).isTrue();
            assertThat(p.abort(random)).isFalse();
        }
        assertThat(p.delayNanos()).isEqualTo(Duration.ofMillis(250).toNanos());
    }
}
