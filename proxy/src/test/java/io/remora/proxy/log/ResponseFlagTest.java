package io.remora.proxy.log;

import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.util.EnumSet;

import static org.assertj.core.api.Assertions.assertThat;

/** Response flags collected in a request's stream info, written as Envoy writes them. */
class ResponseFlagTest {
    private static int bits(ResponseFlag... flags) {
        int b = 0;
        for (ResponseFlag f : flags) {
            b |= f.bit();
        }
        return b;
    }

    @Test
    void noFlagIsADashAndOneFlagIsItsCodeWithoutBuildingAString() {
        assertThat(ResponseFlag.text(0)).isEqualTo("-");
        for (ResponseFlag f : ResponseFlag.values()) {
            assertThat(ResponseFlag.text(f.bit())).isSameAs(f.code());
            assertThat(ResponseFlag.ofCode(f.code())).isSameAs(f);
        }
        assertThat(ResponseFlag.ofCode("-")).isNull();
        assertThat(ResponseFlag.ofCode("XX")).isNull();
    }

    @Test
    void severalFlagsAreWrittenInEnvoysOrderFailureThenRetryLimitThenDelay() {
        assertThat(ResponseFlag.text(bits(ResponseFlag.RETRY_LIMIT_EXCEEDED, ResponseFlag.UPSTREAM_CONNECT_FAILURE)))
                .isEqualTo("UF,URX");
        assertThat(ResponseFlag.text(bits(ResponseFlag.DELAY_INJECTED, ResponseFlag.RETRY_LIMIT_EXCEEDED,
                ResponseFlag.UPSTREAM_CONNECT_FAILURE))).isEqualTo("UF,URX,DI");
        assertThat(ResponseFlag.text(bits(ResponseFlag.DELAY_INJECTED, ResponseFlag.UPSTREAM_REQUEST_TIMEOUT)))
                .isEqualTo("UT,DI");
        assertThat(ResponseFlag.bitsOf("UC,URX")).isEqualTo(bits(ResponseFlag.UPSTREAM_CONNECTION_TERMINATION,
                ResponseFlag.RETRY_LIMIT_EXCEEDED));
        assertThat(ResponseFlag.setOf(bits(ResponseFlag.RBAC, ResponseFlag.NO_ROUTE)))
                .isEqualTo(EnumSet.of(ResponseFlag.NO_ROUTE, ResponseFlag.RBAC));
    }

    @Test
    void aStreamInfoKeepsEveryFlagItIsGivenSoALaterFailureDoesNotEraseTheDelay() {
        StreamInfo info = new StreamInfo(0, 0, true, "10.0.0.1");
        info.flag(ResponseFlag.DELAY_INJECTED);
        info.flags("UF");
        info.flag(ResponseFlag.RETRY_LIMIT_EXCEEDED);
        info.flags("-");
        assertThat(info.flagsText()).isEqualTo("UF,URX,DI");
        assertThat(info.has(ResponseFlag.DELAY_INJECTED)).isTrue();
        assertThat(info.flagSet()).containsExactly(ResponseFlag.UPSTREAM_CONNECT_FAILURE,
                ResponseFlag.RETRY_LIMIT_EXCEEDED, ResponseFlag.DELAY_INJECTED);
    }

    @Test
    void whatTheAccessLogReadsIsKeptInTheStreamInfo() {
        StreamInfo info = new StreamInfo(1_764_000_000_123L, 5_000, false, "10.0.0.9");
        info.request("HTTP/1.1", "GET", "api.t", "/x", "curl/8", false);
        info.requestId("rid");
        info.downstreamPrincipal("spiffe://t/ns/a/sa/caller");
        info.routed("api.t.svc.cluster.local", "inbound|8080", "inbound");
        info.tryStarted(new InetSocketAddress("127.0.0.1", 8080), null, 5_000);
        info.status(503);
        info.flag(ResponseFlag.UPSTREAM_CONNECT_FAILURE);
        info.details("connection failure to 127.0.0.1:8080: refused");
        info.detailsIfUnset("ignored");
        info.addReceived(3);
        info.sent(91);
        info.ended(5_000 + 2_500_000);
        assertThat(info.direction()).isEqualTo("inbound");
        assertThat(info.flagsText()).isEqualTo("UF");
        assertThat(info.durationNanos() / 1000).isEqualTo(2_500);
        assertThat(info.upstreamHostText()).isEqualTo("127.0.0.1:8080");
        assertThat(info.peerPrincipal()).isEqualTo("spiffe://t/ns/a/sa/caller");
        assertThat(info.details()).isEqualTo("connection failure to 127.0.0.1:8080: refused");
        assertThat(info.responseCodeDetails()).isEqualTo("upstream_reset_before_response_started{connection_failure}");
        assertThat(info.grpcStatus()).isEmpty();
        assertThat(info.bytesReceived()).isEqualTo(3);
        assertThat(info.bytesSent()).isEqualTo(91);
        assertThat(info.attempts()).isEqualTo(1);
    }
}
