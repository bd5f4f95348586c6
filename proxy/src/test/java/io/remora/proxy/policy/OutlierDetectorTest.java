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
        public void onEject(OutlierDetector.EndpointState endpoint, OutlierDetector.Reason reason, int consecutive,
                            long ejectionNanos, int timesEjected) {
            events.add("eject " + endpoint + " " + reason + " " + consecutive + " "
                    + Duration.ofNanos(ejectionNanos).toSeconds() + "s #" + timesEjected);
        }

        @Override
        public void onReturn(OutlierDetector.EndpointState endpoint, long ejectedForNanos) {
            events.add("return " + endpoint + " after " + Duration.ofNanos(ejectedForNanos).toSeconds() + "s");
        }
    };

    private OutlierDetector.EndpointState[] e;

    /** A detector over {@code endpoints} endpoints named "0", "1", …; {@code e[i]} is endpoint i. */
    private OutlierDetector detector(int endpoints, int gateway, int fiveXx, int maxPercent) {
        e = new OutlierDetector.EndpointState[endpoints];
        for (int i = 0; i < endpoints; i++) {
            e[i] = new OutlierDetector.EndpointState(Integer.toString(i));
        }
        OutlierDetector d = new OutlierDetector(ticker, listener);
        d.update(settings(gateway, fiveXx, maxPercent), List.of(e));
        return d;
    }

    private static OutlierDetector.Settings settings(int gateway, int fiveXx, int maxPercent) {
        return new OutlierDetector.Settings(gateway, fiveXx, Duration.ofSeconds(10),
                Duration.ofSeconds(30), Duration.ofMinutes(5), maxPercent, 50);
    }

    @Test
    void consecutiveGatewayErrorsEjectAndASuccessInBetweenStartsTheCountAgain() {
        OutlierDetector d = detector(10, 5, 0, 10);
        for (int i = 0; i < 4; i++) {
            d.report(e[3], GATEWAY_ERROR);
        }
        d.report(e[3], SUCCESS);
        for (int i = 0; i < 4; i++) {
            d.report(e[3], GATEWAY_ERROR);
        }
        assertThat(e[3].ejected()).isFalse();
        d.report(e[3], GATEWAY_ERROR);
        assertThat(e[3].ejected()).isTrue();
        assertThat(d.ejectedCount()).isEqualTo(1);
        assertThat(events).containsExactly("eject 3 CONSECUTIVE_GATEWAY_ERRORS 5 30s #1");
    }

    @Test
    void a500BreaksARunOfGatewayErrorsButCountsTowardsConsecutive5xx() {
        OutlierDetector d = detector(10, 3, 4, 10);
        d.report(e[0], GATEWAY_ERROR);
        d.report(e[0], GATEWAY_ERROR);
        d.report(e[0], SERVER_ERROR);
        assertThat(e[0].ejected()).isFalse();
        d.report(e[0], SERVER_ERROR);
        assertThat(e[0].ejected()).isTrue();
        assertThat(events).containsExactly("eject 0 CONSECUTIVE_5XX 4 30s #1");
    }

    @Test
    void anEjectedEndpointReturnsAfterItsTimeWhichGrowsWithEachEjection() {
        OutlierDetector d = detector(10, 1, 0, 10);
        d.report(e[1], GATEWAY_ERROR);
        ticker.advance(Duration.ofSeconds(29));
        d.sweep();
        assertThat(e[1].ejected()).isTrue();
        ticker.advance(Duration.ofSeconds(1));
        d.sweep();
        assertThat(e[1].ejected()).isFalse();
        d.report(e[1], GATEWAY_ERROR);
        assertThat(d.timesEjected(e[1])).isEqualTo(2);
        ticker.advance(Duration.ofSeconds(59));
        d.sweep();
        assertThat(e[1].ejected()).isTrue();
        ticker.advance(Duration.ofSeconds(1));
        d.sweep();
        assertThat(events).containsExactly("eject 1 CONSECUTIVE_GATEWAY_ERRORS 1 30s #1", "return 1 after 30s",
                "eject 1 CONSECUTIVE_GATEWAY_ERRORS 1 60s #2", "return 1 after 60s");
    }

    @Test
    void theEjectionTimeStopsAtTheMaximum() {
        OutlierDetector d = detector(10, 1, 0, 10);
        for (int n = 1; n <= 12; n++) {
            d.report(e[2], GATEWAY_ERROR);
            ticker.advance(Duration.ofMinutes(5));
            d.sweep();
        }
        assertThat(events.get(events.size() - 2)).isEqualTo("eject 2 CONSECUTIVE_GATEWAY_ERRORS 1 300s #12");
    }

    @Test
    void aHealthyIntervalLowersTheMultiplierSoAnOldIncidentIsForgotten() {
        OutlierDetector d = detector(10, 1, 0, 10);
        d.report(e[4], GATEWAY_ERROR);
        ticker.advance(Duration.ofSeconds(30));
        d.sweep();
        assertThat(d.timesEjected(e[4])).isEqualTo(1);
        ticker.advance(Duration.ofSeconds(10));
        d.sweep();
        assertThat(d.timesEjected(e[4])).isZero();
        d.report(e[4], GATEWAY_ERROR);
        assertThat(events.get(events.size() - 1)).endsWith("30s #1");
    }

    @Test
    void neverEjectsMoreThanTheMaximumPercentButAlwaysAtLeastOne() {
        OutlierDetector d = detector(3, 1, 0, 10);
        assertThat(d.maxEjected()).isEqualTo(1);
        for (int i = 0; i < 3; i++) {
            d.report(e[i], GATEWAY_ERROR);
        }
        assertThat(d.ejectedCount()).isEqualTo(1);
        assertThat(d.ejectionsSkippedByCap()).isEqualTo(2);

        OutlierDetector half = detector(10, 1, 0, 50);
        for (int round = 0; round < 3; round++) {
            for (int i = 0; i < 10; i++) {
                half.report(e[i], GATEWAY_ERROR);
            }
        }
        assertThat(half.ejectedCount()).isEqualTo(5);
    }

    @Test
    void anUpdateKeepsTheEjectionsOfEndpointsThatStayAndForgetsThoseThatLeft() {
        OutlierDetector d = detector(4, 1, 0, 50);
        d.report(e[1], GATEWAY_ERROR);
        d.report(e[2], GATEWAY_ERROR);
        assertThat(d.ejectedCount()).isEqualTo(2);

        d.update(settings(1, 0, 50), List.of(e[0], e[1], new OutlierDetector.EndpointState("4"),
                new OutlierDetector.EndpointState("5")));
        assertThat(e[1].ejected()).isTrue();
        assertThat(d.ejectedCount()).isEqualTo(1);
        // A late report from a request of the old snapshot about an endpoint that left ejects nothing.
        d.report(e[3], GATEWAY_ERROR);
        assertThat(e[3].ejected()).isFalse();
        assertThat(d.ejectedCount()).isEqualTo(1);
        d.report(e[0], GATEWAY_ERROR);
        assertThat(d.ejectedCount()).isEqualTo(2);

        ticker.advance(Duration.ofSeconds(30));
        d.sweep();
        assertThat(e[1].ejected()).isFalse();
        assertThat(events).contains("return 1 after 30s");
    }

    @Test
    void turningDetectionOffReturnsEveryEndpoint() {
        OutlierDetector d = detector(2, 1, 0, 50);
        d.report(e[0], GATEWAY_ERROR);
        d.update(null, List.of(e));
        assertThat(e[0].ejected()).isFalse();
        assertThat(d.active()).isFalse();
        d.report(e[1], GATEWAY_ERROR);
        assertThat(e[1].ejected()).isFalse();
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
