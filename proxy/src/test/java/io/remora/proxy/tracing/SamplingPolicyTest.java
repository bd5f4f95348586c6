package io.remora.proxy.tracing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.remora.proxy.policy.Randomness;
import io.remora.proxy.tracing.TraceContext.Decision;
import org.junit.jupiter.api.Test;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.random.RandomGenerator;

class SamplingPolicyTest {
    /** Answers the doubles it was given, in order, and fails when asked for more. */
    private static final class Draws implements RandomGenerator {
        private final Deque<Double> doubles;
        int drawn;

        Draws(Double... values) {
            doubles = new ArrayDeque<>(List.of(values));
        }

        @Override
        public double nextDouble() {
            drawn++;
            return doubles.removeFirst();
        }

        @Override
        public long nextLong() {
            throw new AssertionError("only doubles are drawn");
        }
    }

    private static TraceContext parent(Decision decision) {
        return TraceContext.of(1, 2, 3, decision, TraceHeaders.W3C);
    }

    @Test
    void aCallersDecisionIsKeptWithoutDrawing() {
        Draws draws = new Draws();
        Randomness randomness = () -> draws;

        assertThat(new SamplingPolicy(0.01, randomness).decide(parent(Decision.SAMPLED))).isEqualTo(Decision.SAMPLED);
        assertThat(new SamplingPolicy(100, randomness).decide(parent(Decision.NOT_SAMPLED)))
                .isEqualTo(Decision.NOT_SAMPLED);
        assertThat(new SamplingPolicy(0.01, randomness).decide(parent(Decision.DEBUG))).isEqualTo(Decision.DEBUG);
        assertThat(new SamplingPolicy(100, randomness).decide(TraceContext.decisionOnly(Decision.NOT_SAMPLED,
                TraceHeaders.B3_SINGLE))).isEqualTo(Decision.NOT_SAMPLED);
        assertThat(draws.drawn).isZero();
    }

    @Test
    void withoutADecisionTheRatioDecides() {
        Draws draws = new Draws(0.0, 0.0099, 0.01, 0.5, 0.9999);
        SamplingPolicy onePercent = new SamplingPolicy(1.0, () -> draws);

        assertThat(onePercent.decide(null)).isEqualTo(Decision.SAMPLED);
        assertThat(onePercent.decide(parent(Decision.DEFERRED))).as("B3 left it to this hop").isEqualTo(Decision.SAMPLED);
        assertThat(onePercent.decide(null)).isEqualTo(Decision.NOT_SAMPLED);
        assertThat(onePercent.decide(new TraceContext(0, 0, 0, Decision.DEFERRED, 0, TraceHeaders.W3C, false)))
                .as("a malformed traceparent is no decision").isEqualTo(Decision.NOT_SAMPLED);
        assertThat(onePercent.decide(null)).isEqualTo(Decision.NOT_SAMPLED);
        assertThat(draws.drawn).isEqualTo(5);
    }

    @Test
    void aHundredPercentSamplesEveryNewTrace() {
        Draws draws = new Draws(0.0, 0.5, Math.nextDown(1.0));
        SamplingPolicy all = new SamplingPolicy(100, () -> draws);

        for (int i = 0; i < 3; i++) {
            assertThat(all.decide(null)).isEqualTo(Decision.SAMPLED);
        }
    }

    @Test
    void aSeededSourceGivesTheSameDecisionsEveryRun() {
        SamplingPolicy a = new SamplingPolicy(10, Randomness.seeded(42));
        SamplingPolicy b = new SamplingPolicy(10, Randomness.seeded(42));
        int sampled = 0;
        for (int i = 0; i < 10_000; i++) {
            Decision d = a.decide(null);
            assertThat(b.decide(null)).isEqualTo(d);
            sampled += d.sampled() ? 1 : 0;
        }
        assertThat(sampled).isBetween(900, 1100);
    }

    @Test
    void aPercentageOutside0To100IsRefused() {
        assertThatThrownBy(() -> new SamplingPolicy(100.5, Randomness.SYSTEM)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new SamplingPolicy(Double.NaN, Randomness.SYSTEM))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
