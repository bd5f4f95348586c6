package io.remora.bench;

import org.junit.jupiter.api.Test;

import java.util.stream.LongStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PercentilesTest {
    @Test
    void nearestRankOnOneToHundred() {
        Percentiles p = new Percentiles(LongStream.rangeClosed(1, 100).map(i -> 101 - i).toArray());
        assertThat(p.at(50)).isEqualTo(50);
        assertThat(p.at(99)).isEqualTo(99);
        assertThat(p.at(99.5)).isEqualTo(100);
        assertThat(p.max()).isEqualTo(100);
        assertThat(p.min()).isEqualTo(1);
        assertThat(p.count()).isEqualTo(100);
    }

    @Test
    void smallSamplesGiveMeasuredValues() {
        Percentiles p = new Percentiles(new long[] {30, 10, 20});
        assertThat(p.at(1)).isEqualTo(10);
        assertThat(p.at(50)).isEqualTo(20);
        assertThat(p.at(99)).isEqualTo(30);
        assertThat(new Percentiles(new long[] {7}).at(50)).isEqualTo(7);
    }

    @Test
    void countsAtMostALimit() {
        Percentiles p = new Percentiles(new long[] {5, 1, 3, 3, 9});
        assertThat(p.atMost(0)).isZero();
        assertThat(p.atMost(3)).isEqualTo(3);
        assertThat(p.atMost(4)).isEqualTo(3);
        assertThat(p.atMost(9)).isEqualTo(5);
    }

    @Test
    void refusesEmptySamplesAndBadPercentiles() {
        assertThatThrownBy(() -> new Percentiles(new long[0]).at(50)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> new Percentiles(new long[] {1}).at(0)).isInstanceOf(IllegalArgumentException.class);
    }
}
