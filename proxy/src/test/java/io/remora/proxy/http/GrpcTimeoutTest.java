package io.remora.proxy.http;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class GrpcTimeoutTest {
    @Test
    void parsesEveryUnit() {
        assertThat(GrpcTimeout.parseNanos("2H")).isEqualTo(7_200_000_000_000L);
        assertThat(GrpcTimeout.parseNanos("3M")).isEqualTo(180_000_000_000L);
        assertThat(GrpcTimeout.parseNanos("1S")).isEqualTo(1_000_000_000L);
        assertThat(GrpcTimeout.parseNanos("250m")).isEqualTo(250_000_000L);
        assertThat(GrpcTimeout.parseNanos("7u")).isEqualTo(7_000L);
        assertThat(GrpcTimeout.parseNanos("99999999n")).isEqualTo(99_999_999L);
    }

    @Test
    void rejectsWhatTheSpecDoesNotAllow() {
        assertThat(GrpcTimeout.parseNanos(null)).isEqualTo(-1);
        assertThat(GrpcTimeout.parseNanos("")).isEqualTo(-1);
        assertThat(GrpcTimeout.parseNanos("S")).isEqualTo(-1);
        assertThat(GrpcTimeout.parseNanos("10s")).isEqualTo(-1);
        assertThat(GrpcTimeout.parseNanos("123456789m")).isEqualTo(-1);
        assertThat(GrpcTimeout.parseNanos("-1m")).isEqualTo(-1);
    }

    @Test
    void formatsTheTimeLeftRoundedUpInMilliseconds() {
        assertThat(GrpcTimeout.format(1)).isEqualTo("1m");
        assertThat(GrpcTimeout.format(0)).isEqualTo("1m");
        assertThat(GrpcTimeout.format(1_500_000)).isEqualTo("2m");
        assertThat(GrpcTimeout.format(15_000_000_000L)).isEqualTo("15000m");
        assertThat(GrpcTimeout.format(200_000_000_000_000L)).isEqualTo("200000S");
    }
}
