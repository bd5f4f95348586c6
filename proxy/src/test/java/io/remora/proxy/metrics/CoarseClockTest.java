package io.remora.proxy.metrics;

import io.micrometer.core.instrument.MockClock;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

class CoarseClockTest {
    @Test
    void wallTimeMovesOnlyOnATickAndMonotonicTimeAlways() {
        MockClock source = new MockClock();
        CoarseClock clock = new CoarseClock(source);
        long start = clock.wallTime();

        source.add(Duration.ofMillis(70));
        assertThat(clock.wallTime()).isEqualTo(start);
        assertThat(clock.monotonicTime()).isEqualTo(source.monotonicTime());

        clock.tick();
        assertThat(clock.wallTime()).isEqualTo(start + 70);
    }

    /** A timer's decaying max still decays: its window rotates on the ticked wall time. */
    @Test
    void aTimersMaxDecaysOnTheTickedTime() {
        MockClock source = new MockClock();
        CoarseClock clock = new CoarseClock(source);
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT,
                new PrometheusRegistry(), clock);
        Timer timer = Timer.builder("t").register(registry);
        timer.record(5, TimeUnit.SECONDS);
        assertThat(timer.max(TimeUnit.SECONDS)).isEqualTo(5.0);

        source.add(Duration.ofMinutes(3));
        assertThat(timer.max(TimeUnit.SECONDS)).as("no tick: the window has not moved").isEqualTo(5.0);
        clock.tick();
        assertThat(timer.max(TimeUnit.SECONDS)).as("after the tick the 2-minute window is gone").isEqualTo(0.0);
    }
}
