package io.remora.proxy.policy;

import io.remora.proxy.testing.ManualTicker;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static io.remora.proxy.policy.OutlierDetector.Outcome.GATEWAY_ERROR;
import static io.remora.proxy.policy.OutlierDetector.Outcome.SERVER_ERROR;
import static io.remora.proxy.policy.OutlierDetector.Outcome.SUCCESS;
import static org.assertj.core.api.Assertions.assertThat;

class OutlierDetectorTest {
    private final ManualTicker ticker = new ManualTicker();
    private final List<String> events = new ArrayList<>();
    private final OutlierDetector.Listener listener = new OutlierDetector.Listener() {
        @Override
        public void onEject(int endpoint, OutlierDetector.Reason reason, int consecutive, long ejectionNanos,
                            int timesEjected) {
            events.add("eject " + endpoint + " " + reason + " " + consecutive + " "
                    + Duration.ofNanos(ejectionNanos).toSeconds() + "s #" + timesEjected);
        }

        @Override
        public void onReturn(int endpoint, long ejectedForNanos) {
            events.add("return " + endpoint + " after " + Duration.ofNanos(ejectedForNanos).toSeconds() + "s");
        }
    };

    private OutlierDetector detector(int endpoints, int gateway, int fiveXx, int maxPercent) {
        return new OutlierDetector(new OutlierDetector.Settings(gateway, fiveXx, Duration.ofSeconds(10),
                Duration.ofSeconds(30), Duration.ofMinutes(5), maxPercent, 50), endpoints, ticker, listener);
    }

    @Test
    void consecutiveGatewayErrorsEjectAndASuccessInBetweenStartsTheCountAgain() {
        OutlierDetector d = detector(10, 5, 0, 10);
        for (int i = 0; i < 4; i++) {
            d.report(3, GATEWAY_ERROR);
        }
        d.report(3, SUCCESS);
        for (int i = 0; i < 4; i++) {
            d.report(3, GATEWAY_ERROR);
        }
        assertThat(d.isEjected(3)).isFalse();
        d.report(3, GATEWAY_ERROR);
        assertThat(d.isEjected(3)).isTrue();
        assertThat(d.ejectedCount()).isEqualTo(1);
        assertThat(events).containsExactly("eject 3 CONSECUTIVE_GATEWAY_ERRORS 5 30s #1");
    }

    @Test
    void a500BreaksARunOfGatewayErrorsButCountsTowardsConsecutive5xx() {
        OutlierDetector d = detector(10, 3, 4, 10);
        d.report(0, GATEWAY_ERROR);
        d.report(0, GATEWAY_ERROR);
        d.report(0, SERVER_ERROR);
        assertThat(d.isEjected(0)).isFalse();
        d.report(0, SERVER_ERROR);
        assertThat(d.isEjected(0)).isTrue();
        assertThat(events).containsExactly("eject 0 CONSECUTIVE_5XX 4 30s #1");
    }

    @Test
    void anEjectedEndpointReturnsAfterItsTimeWhichGrowsWithEachEjection() {
        OutlierDetector d = detector(10, 1, 0, 10);
        d.report(1, GATEWAY_ERROR);
        ticker.advance(Duration.ofSeconds(29));
        d.sweep();
        assertThat(d.isEjected(1)).isTrue();
        ticker.advance(Duration.ofSeconds(1));
        d.sweep();
        assertThat(d.isEjected(1)).isFalse();
        d.report(1, GATEWAY_ERROR);
        assertThat(d.timesEjected(1)).isEqualTo(2);
        ticker.advance(Duration.ofSeconds(59));
        d.sweep();
        assertThat(d.isEjected(1)).isTrue();
        ticker.advance(Duration.ofSeconds(1));
        d.sweep();
        assertThat(events).containsExactly("eject 1 CONSECUTIVE_GATEWAY_ERRORS 1 30s #1", "return 1 after 30s",
                "eject 1 CONSECUTIVE_GATEWAY_ERRORS 1 60s #2", "return 1 after 60s");
    }

    @Test
    void theEjectionTimeStopsAtTheMaximum() {
        OutlierDetector d = detector(10, 1, 0, 10);
        for (int n = 1; n <= 12; n++) {
            d.report(2, GATEWAY_ERROR);
            ticker.advance(Duration.ofMinutes(5));
            d.sweep();
        }
        assertThat(events.get(events.size() - 2)).isEqualTo("eject 2 CONSECUTIVE_GATEWAY_ERRORS 1 300s #12");
    }

    @Test
    void aHealthyIntervalLowersTheMultiplierSoAnOldIncidentIsForgotten() {
        OutlierDetector d = detector(10, 1, 0, 10);
        d.report(4, GATEWAY_ERROR);
        ticker.advance(Duration.ofSeconds(30));
        d.sweep();
        assertThat(d.timesEjected(4)).isEqualTo(1);
        ticker.advance(Duration.ofSeconds(10));
        d.sweep();
        assertThat(d.timesEjected(4)).isZero();
        d.report(4, GATEWAY_ERROR);
        assertThat(events.get(events.size() - 1)).endsWith("30s #1");
    }

    @Test
    void neverEjectsMoreThanTheMaximumPercentButAlwaysAtLeastOne() {
        OutlierDetector d = detector(3, 1, 0, 10);
        assertThat(d.maxEjected()).isEqualTo(1);
        for (int i = 0; i < 3; i++) {
            d.report(i, GATEWAY_ERROR);
        }
        assertThat(d.ejectedCount()).isEqualTo(1);
        assertThat(d.ejectionsSkippedByCap()).isEqualTo(2);

        OutlierDetector half = detector(10, 1, 0, 50);
        for (int round = 0; round < 3; round++) {
            for (int i = 0; i < 10; i++) {
                half.report(i, GATEWAY_ERROR);
            }
        }
        assertThat(half.ejectedCount()).isEqualTo(5);
    }

    @Test
    void classifiesStatuses() {
        assertThat(OutlierDetector.classify(200)).isEqualTo(SUCCESS);
        assertThat(OutlierDetector.classify(404)).isEqualTo(SUCCESS);
        assertThat(OutlierDetector.classify(500)).isEqualTo(SERVER_ERROR);
        assertThat(OutlierDetector.classify(502)).isEqualTo(GATEWAY_ERROR);
        assertThat(OutlierDetector.classify(503)).isEqualTo(GATEWAY_ERROR);
        assertThat(OutlierDetector.classify(504)).isEqualTo(GATEWAY_ERROR);
    }
}
