package io.remora.proxy.tracing;

import static org.assertj.core.api.Assertions.assertThat;

import io.remora.proxy.tracing.TraceContext.Decision;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class B3Test {
    private static final String TRACE = "80f198ee56343ba864fe8b2a57d3eff7";
    private static final String SPAN = "e457b5a2e4d86bd1";
    private static final String PARENT = "05e3ac9a4f6e3b90";

    @Test
    void theSingleHeaderInEachOfItsForms() {
        TraceContext full = B3.parseSingle(TRACE + "-" + SPAN + "-1-" + PARENT);
        assertThat(full.traceIdHigh()).isEqualTo(0x80f198ee56343ba8L);
        assertThat(full.traceIdLow()).isEqualTo(0x64fe8b2a57d3eff7L);
        assertThat(full.spanId()).isEqualTo(0xe457b5a2e4d86bd1L);
        assertThat(full.decision()).isEqualTo(Decision.SAMPLED);
        assertThat(full.source()).isEqualTo(TraceHeaders.B3_SINGLE);

        assertThat(B3.parseSingle(TRACE + "-" + SPAN + "-0").decision()).isEqualTo(Decision.NOT_SAMPLED);
        assertThat(B3.parseSingle(TRACE + "-" + SPAN + "-d").decision()).isEqualTo(Decision.DEBUG);
        assertThat(B3.parseSingle(TRACE + "-" + SPAN).decision()).as("no sampling state: this hop decides")
                .isEqualTo(Decision.DEFERRED);
    }

    @Test
    void aSixtyFourBitTraceIdHasNoUpperHalf() {
        TraceContext c = B3.parseSingle("64fe8b2a57d3eff7-" + SPAN + "-1");

        assertThat(c.traceIdHigh()).isZero();
        assertThat(c.traceIdLow()).isEqualTo(0x64fe8b2a57d3eff7L);
        assertThat(c.hasIds()).isTrue();
    }

    @Test
    void aSingleCharacterIsADecisionAlone() {
        assertThat(B3.parseSingle("0")).isEqualTo(TraceContext.decisionOnly(Decision.NOT_SAMPLED, TraceHeaders.B3_SINGLE));
        assertThat(B3.parseSingle("1").decision()).isEqualTo(Decision.SAMPLED);
        assertThat(B3.parseSingle("d").decision()).isEqualTo(Decision.DEBUG);
        assertThat(B3.parseSingle("1").hasIds()).isFalse();
    }

    static java.util.stream.Stream<String> malformedSingleHeaders() {
        return java.util.stream.Stream.of(
            "", "2", "x", "-", "01", "true",
            TRACE, // no span id
            TRACE + "-", TRACE + "-" + SPAN + "-", TRACE + "-" + SPAN + "-1-",
            TRACE + "-" + SPAN + "-2", // unknown sampling state
            TRACE + "-" + SPAN + "-10",
            TRACE + "-" + SPAN + "-1-" + PARENT + "-extra",
            TRACE + "-" + SPAN + "-1-" + PARENT.substring(1), // short parent
            TRACE + "-" + SPAN + "-1-0000000000000000", // zero parent
            TRACE + "-" + SPAN + "-1" + PARENT, // no dash before the parent
            TRACE.substring(1) + "-" + SPAN + "-1", // 31-digit trace id
            "64fe8b2a57d3eff-" + SPAN + "-1", // 15-digit trace id
            TRACE + "0-" + SPAN + "-1", // 33-digit trace id
            TRACE + "-" + SPAN.substring(1) + "-1", // 15-digit span id
            TRACE + "-" + SPAN + "0-1", // 17-digit span id
            "00000000000000000000000000000000-" + SPAN + "-1", // zero trace id
            TRACE + "-0000000000000000-1", // zero span id
            "80F198EE56343BA864FE8B2A57D3EFF7-" + SPAN + "-1", // upper case
            TRACE + "-" + SPAN.toUpperCase() + "-1",
            TRACE + "-e457b5a2e4d86bdz-1", // not hex
            TRACE + "_" + SPAN + "-1",
            TRACE + "-" + SPAN + "_1");
    }

    @ParameterizedTest
    @MethodSource("malformedSingleHeaders")
    void malformedSingleHeadersAreIgnoredWhole(String value) {
        assertThat(B3.parseSingle(value)).isNull();
    }

    @Test
    void theMultiHeaderForm() {
        TraceContext c = B3.parseMulti(TRACE, SPAN, PARENT, "1", null);

        assertThat(c).isEqualTo(TraceContext.of(0x80f198ee56343ba8L, 0x64fe8b2a57d3eff7L, 0xe457b5a2e4d86bd1L,
                Decision.SAMPLED, TraceHeaders.B3_MULTI));
        assertThat(B3.parseMulti(TRACE, SPAN, null, "0", null).decision()).isEqualTo(Decision.NOT_SAMPLED);
        assertThat(B3.parseMulti(TRACE, SPAN, null, "true", null).decision()).isEqualTo(Decision.SAMPLED);
        assertThat(B3.parseMulti(TRACE, SPAN, null, "False", null).decision()).isEqualTo(Decision.NOT_SAMPLED);
        assertThat(B3.parseMulti(TRACE, SPAN, null, null, null).decision()).isEqualTo(Decision.DEFERRED);
        assertThat(B3.parseMulti(TRACE, SPAN, null, null, "1").decision()).isEqualTo(Decision.DEBUG);
        assertThat(B3.parseMulti(TRACE, SPAN, null, "0", "1").decision()).as("debug implies sampled")
                .isEqualTo(Decision.DEBUG);
        assertThat(B3.parseMulti(TRACE, SPAN, null, "1", "0").decision()).isEqualTo(Decision.SAMPLED);
        assertThat(B3.parseMulti("64fe8b2a57d3eff7", SPAN, null, "1", null).traceIdHigh()).isZero();
    }

    @Test
    void aLoneSamplingStateIsADecisionAlone() {
        assertThat(B3.parseMulti(null, null, null, "0", null))
                .isEqualTo(TraceContext.decisionOnly(Decision.NOT_SAMPLED, TraceHeaders.B3_MULTI));
        assertThat(B3.parseMulti(null, null, null, null, "1").decision()).isEqualTo(Decision.DEBUG);
        assertThat(B3.parseMulti(null, null, null, null, null)).isNull();
    }

    @Test
    void malformedMultiHeadersAreIgnoredWhole() {
        assertThat(B3.parseMulti(TRACE, null, null, "1", null)).as("trace id without span id").isNull();
        assertThat(B3.parseMulti(null, SPAN, null, "1", null)).as("span id without trace id").isNull();
        assertThat(B3.parseMulti(null, null, PARENT, "1", null)).as("a parent alone").isNull();
        assertThat(B3.parseMulti(TRACE, SPAN, null, "yes", null)).isNull();
        assertThat(B3.parseMulti(TRACE, SPAN, null, "2", null)).isNull();
        assertThat(B3.parseMulti(TRACE, SPAN, null, null, "2")).isNull();
        assertThat(B3.parseMulti(TRACE, SPAN, "xyz", "1", null)).isNull();
        assertThat(B3.parseMulti(TRACE, SPAN, "0000000000000000", "1", null)).isNull();
        assertThat(B3.parseMulti(TRACE.toUpperCase(), SPAN, null, "1", null)).isNull();
        assertThat(B3.parseMulti(TRACE + "0", SPAN, null, "1", null)).isNull();
        assertThat(B3.parseMulti(TRACE, SPAN + "0", null, "1", null)).isNull();
        assertThat(B3.parseMulti(TRACE, "0000000000000000", null, "1", null)).isNull();
        assertThat(B3.parseMulti("0000000000000000", SPAN, null, "1", null)).isNull();
        assertThat(B3.parseMulti("", "", null, "1", null)).isNull();
    }

    @Test
    void writesWhatItReads() {
        String single = B3.formatSingle(0x80f198ee56343ba8L, 0x64fe8b2a57d3eff7L, 0xe457b5a2e4d86bd1L,
                0x05e3ac9a4f6e3b90L, Decision.SAMPLED).toString();

        assertThat(single).isEqualTo(TRACE + "-" + SPAN + "-1-" + PARENT);
        assertThat(B3.formatSingle(0, 7, 9, 0, Decision.NOT_SAMPLED).toString())
                .isEqualTo("0000000000000007-0000000000000009-0");
        assertThat(B3.formatSingle(0, 7, 9, 0, Decision.DEBUG).toString()).endsWith("-d");
        assertThat(B3.formatTraceId(0, 7).toString()).isEqualTo("0000000000000007");
        assertThat(B3.formatTraceId(1, 7).toString()).hasSize(32);
        assertThat(B3.formatSpanId(-1).toString()).isEqualTo("ffffffffffffffff");
        assertThat(B3.parseSingle(single).agrees(B3.parseMulti(TRACE, SPAN, PARENT, "1", null))).isTrue();
    }
}
