package io.remora.proxy.tracing;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import io.remora.proxy.tracing.TraceContext.Decision;
import org.junit.jupiter.api.Test;

class TraceHeadersTest {
    private static final String TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
    private static final String SPAN = "00f067aa0ba902b7";
    private static final String TRACEPARENT = "00-" + TRACE + "-" + SPAN + "-01";


    @Test
    void noTraceHeaderIsNoContext() {
        assertThat(TraceHeaders.extract(TestHeaders.of("x-request-id", "abc"))).isNull();
    }

    @Test
    void aValidTraceparentIsTheContext() {
        TraceContext c = TraceHeaders.extract(TestHeaders.of("traceparent", TRACEPARENT, "tracestate", "congo=t61rcWkgMzE"));

        assertThat(c.source()).isEqualTo(TraceHeaders.W3C);
        assertThat(c.decision()).isEqualTo(Decision.SAMPLED);
        assertThat(c.clean()).isTrue();
        assertThat(TraceHeaders.keepsTracestate(c)).isTrue();
    }

    @Test
    void w3cWinsOverB3AndBothAgreeingIsClean() {
        TraceContext c = TraceHeaders.extract(TestHeaders.of("traceparent", TRACEPARENT, "b3", TRACE + "-" + SPAN + "-1",
                "x-b3-traceid", TRACE, "x-b3-spanid", SPAN, "x-b3-sampled", "1"));

        assertThat(c.source()).isEqualTo(TraceHeaders.W3C);
        assertThat(c.formats()).isEqualTo(TraceHeaders.W3C | TraceHeaders.B3_SINGLE | TraceHeaders.B3_MULTI);
        assertThat(c.clean()).isTrue();
    }

    @Test
    void b3NamingAnotherSpanThanTraceparentIsNotClean() {
        TraceContext c = TraceHeaders.extract(TestHeaders.of("traceparent", TRACEPARENT,
                "x-b3-traceid", TRACE, "x-b3-spanid", "1111111111111111", "x-b3-sampled", "1"));

        assertThat(c.source()).isEqualTo(TraceHeaders.W3C);
        assertThat(c.spanId()).isEqualTo(0x00f067aa0ba902b7L);
        assertThat(c.clean()).isFalse();
    }

    @Test
    void aMalformedTraceparentGivesWayToValidB3() {
        TraceContext c = TraceHeaders.extract(TestHeaders.of("traceparent", "00-" + TRACE + "-" + SPAN + "-1",
                "tracestate", "congo=t61rcWkgMzE", "b3", TRACE + "-" + SPAN + "-0"));

        assertThat(c.source()).isEqualTo(TraceHeaders.B3_SINGLE);
        assertThat(c.decision()).isEqualTo(Decision.NOT_SAMPLED);
        assertThat(c.clean()).as("the malformed traceparent must be rewritten").isFalse();
        assertThat(TraceHeaders.keepsTracestate(c)).as("tracestate went with the bad traceparent").isFalse();
    }

    @Test
    void singleB3WithIdsIsPreferredToMultiAndAMultiWithIdsToASingleDecision() {
        TraceContext single = TraceHeaders.extract(TestHeaders.of("b3", TRACE + "-" + SPAN + "-1",
                "x-b3-traceid", TRACE, "x-b3-spanid", SPAN, "x-b3-sampled", "1"));
        assertThat(single.source()).isEqualTo(TraceHeaders.B3_SINGLE);
        assertThat(single.clean()).isTrue();

        TraceContext multi = TraceHeaders.extract(TestHeaders.of("b3", "1", "x-b3-traceid", TRACE, "x-b3-spanid", SPAN));
        assertThat(multi.source()).isEqualTo(TraceHeaders.B3_MULTI);
        assertThat(multi.hasIds()).isTrue();
        assertThat(multi.clean()).isFalse();
    }

    @Test
    void everyHeaderMalformedIsNothingUsableButRemembersWhatCame() {
        TraceContext c = TraceHeaders.extract(TestHeaders.of("traceparent", "garbage", "x-b3-traceid", TRACE));

        assertThat(c.hasIds()).isFalse();
        assertThat(c.source()).isZero();
        assertThat(c.decision()).isEqualTo(Decision.DEFERRED);
        assertThat(c.formats()).isEqualTo(TraceHeaders.W3C | TraceHeaders.B3_MULTI);
        assertThat(c.clean()).isFalse();
    }

    @Test
    void twoTraceparentHeadersAreNoParentAtAll() {
        TraceContext c = TraceHeaders.extract(TestHeaders.of("traceparent", TRACEPARENT,
                "traceparent", "00-" + TRACE + "-1111111111111111-01"));

        assertThat(c.hasIds()).isFalse();
        assertThat(c.clean()).isFalse();
    }

    @Test
    void injectReplacesEveryTraceHeaderWithThisHopsContext() {
        HttpHeaders h = TestHeaders.of("traceparent", "00-garbage", "tracestate", "a=b", "b3", "1",
                "x-b3-traceid", TRACE, "x-b3-spanid", SPAN, "x-b3-parentspanid", "2222222222222222",
                "x-b3-sampled", "0", "x-b3-flags", "1", "x-request-id", "r1");

        TraceHeaders.inject(h, 0x4bf92f3577b34da6L, 0xa3ce929d0e0e4736L, 0x1234L, 0x00f067aa0ba902b7L,
                Decision.SAMPLED, TraceHeaders.W3C | TraceHeaders.B3_MULTI, false);

        assertThat(h.getAll("traceparent")).containsExactly("00-" + TRACE + "-0000000000001234-01");
        assertThat(h.contains("tracestate")).isFalse();
        assertThat(h.contains("b3")).isFalse();
        assertThat(h.get("x-b3-traceid")).isEqualTo(TRACE);
        assertThat(h.get("x-b3-spanid")).isEqualTo("0000000000001234");
        assertThat(h.get("x-b3-parentspanid")).isEqualTo(SPAN);
        assertThat(h.get("x-b3-sampled")).isEqualTo("1");
        assertThat(h.contains("x-b3-flags")).isFalse();
        assertThat(h.get("x-request-id")).isEqualTo("r1");
    }

    @Test
    void injectKeepsTracestateWhenAskedAndWritesDebugAsB3Does() {
        HttpHeaders h = TestHeaders.of("traceparent", TRACEPARENT, "tracestate", "congo=t61rcWkgMzE");

        TraceHeaders.inject(h, 0, 7, 8, 0, Decision.DEBUG,
                TraceHeaders.W3C | TraceHeaders.B3_SINGLE | TraceHeaders.B3_MULTI, true);

        assertThat(h.get("tracestate")).isEqualTo("congo=t61rcWkgMzE");
        assertThat(h.get("traceparent")).isEqualTo("00-00000000000000000000000000000007-0000000000000008-01");
        assertThat(h.get("b3")).isEqualTo("0000000000000007-0000000000000008-d");
        assertThat(h.get("x-b3-flags")).isEqualTo("1");
        assertThat(h.contains("x-b3-sampled")).as("debug implies sampled; B3 says not to send both").isFalse();
        assertThat(h.contains("x-b3-parentspanid")).as("a root has no parent").isFalse();
    }

    @Test
    void whatIsWrittenContinuesTheFormatsThatCame() {
        assertThat(TraceHeaders.formatsFor(null)).as("a trace started here: W3C and single B3")
                .isEqualTo(TraceHeaders.W3C | TraceHeaders.B3_SINGLE);
        assertThat(TraceHeaders.formatsFor(TraceHeaders.extract(TestHeaders.of("traceparent", TRACEPARENT))))
                .isEqualTo(TraceHeaders.W3C);
        assertThat(TraceHeaders.formatsFor(TraceHeaders.extract(TestHeaders.of("x-b3-traceid", TRACE, "x-b3-spanid", SPAN))))
                .isEqualTo(TraceHeaders.W3C | TraceHeaders.B3_MULTI);
        assertThat(TraceHeaders.formatsFor(TraceHeaders.extract(TestHeaders.of("x-b3-traceid", "bad"))))
                .as("nothing usable came: started here, and the malformed multi form rewritten")
                .isEqualTo(TraceHeaders.W3C | TraceHeaders.B3_SINGLE | TraceHeaders.B3_MULTI);
    }

    @Test
    void whatInjectWritesExtractsAsTheSameContext() {
        HttpHeaders h = new DefaultHttpHeaders();
        TraceHeaders.inject(h, 5, 6, 7, 8, Decision.NOT_SAMPLED,
                TraceHeaders.W3C | TraceHeaders.B3_SINGLE | TraceHeaders.B3_MULTI, false);

        TraceContext c = TraceHeaders.extract(h);

        assertThat(c.clean()).isTrue();
        assertThat(c).isEqualTo(new TraceContext(5, 6, 7, Decision.NOT_SAMPLED, TraceHeaders.W3C,
                TraceHeaders.W3C | TraceHeaders.B3_SINGLE | TraceHeaders.B3_MULTI, true));
    }
}
