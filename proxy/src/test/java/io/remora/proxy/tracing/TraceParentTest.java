package io.remora.proxy.tracing;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class TraceParentTest {
    private static final String VALID = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

    @Test
    void readsTheIdsAndTheSampledFlag() {
        TraceContext c = TraceParent.parse(VALID);

        assertThat(c.traceIdHigh()).isEqualTo(0x4bf92f3577b34da6L);
        assertThat(c.traceIdLow()).isEqualTo(0xa3ce929d0e0e4736L);
        assertThat(c.spanId()).isEqualTo(0x00f067aa0ba902b7L);
        assertThat(c.decision()).isEqualTo(TraceContext.Decision.SAMPLED);
        assertThat(c.source()).isEqualTo(TraceHeaders.W3C);
        assertThat(TraceParent.parse(VALID.replace("-01", "-00")).decision())
                .isEqualTo(TraceContext.Decision.NOT_SAMPLED);
    }

    @Test
    void onlyTheSampledBitOfTheFlagsDecides() {
        assertThat(TraceParent.parse(VALID.substring(0, 53) + "03").decision()).isEqualTo(TraceContext.Decision.SAMPLED);
        assertThat(TraceParent.parse(VALID.substring(0, 53) + "fe").decision())
                .isEqualTo(TraceContext.Decision.NOT_SAMPLED);
    }

    @Test
    void aLaterVersionMayCarryMoreFieldsWhichAreIgnored() {
        assertThat(TraceParent.parse("cc" + VALID.substring(2) + "-what-the-future-holds")).isNotNull();
        assertThat(TraceParent.parse("01" + VALID.substring(2))).isNotNull();
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "",
            "00",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0", // 54 characters
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-010", // version 00 with a 56th character
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra", // version 00 may not have more fields
            "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", // version ff is invalid
            "cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01.", // more, but not after a dash
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01", // all-zero trace id
            "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01", // all-zero span id
            "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01", // upper-case hex
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00F067AA0BA902B7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0A",
            "0g-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", // non-hex version
            "00-4bf92f3577b34da6a3ce929d0e0e473x-00f067aa0ba902b7-01", // non-hex trace id
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902bz-01", // non-hex span id
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0x", // non-hex flags
            "00_4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", // wrong separators
            "00-4bf92f3577b34da6a3ce929d0e0e4736_00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7_01",
            "00-4bf92f3577b34da6a3ce929d0e0e47-3600f067aa0ba902b7-01", // dashes in the wrong places
            " 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0", // padding inside the value
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01,00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "00-+bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736--0f067aa0ba902b7-01",
    })
    void malformedValuesAreIgnoredWhole(String value) {
        assertThat(TraceParent.parse(value)).isNull();
    }

    @Test
    void nullIsNoContext() {
        assertThat(TraceParent.parse(null)).isNull();
    }

    @Test
    void writesVersion00ThatReadsBack() {
        String written = TraceParent.format(0x4bf92f3577b34da6L, 0xa3ce929d0e0e4736L, 0x00f067aa0ba902b7L, true)
                .toString();

        assertThat(written).isEqualTo(VALID);
        assertThat(TraceParent.format(1, 2, 3, false).toString())
                .isEqualTo("00-00000000000000010000000000000002-0000000000000003-00");
        assertThat(TraceParent.parse(TraceParent.format(-1L, Long.MIN_VALUE, -2L, false)))
                .isEqualTo(TraceContext.of(-1L, Long.MIN_VALUE, -2L, TraceContext.Decision.NOT_SAMPLED, TraceHeaders.W3C));
    }
}
