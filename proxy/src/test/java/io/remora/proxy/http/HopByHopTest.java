package io.remora.proxy.http;

import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** Which headers go at a hop, whatever their case, and which stay. */
class HopByHopTest {
    private static HttpHeaders headers(String... nameValues) {
        HttpHeaders h = new DefaultHttpHeaders();
        for (int i = 0; i < nameValues.length; i += 2) {
            h.add(nameValues[i], nameValues[i + 1]);
        }
        return h;
    }

    @Test
    void aHeadWithoutHopByHopHeadersIsLeftAsItIs() {
        HttpHeaders h = headers("host", "a", "user-agent", "u", "x-request-id", "1", "content-length", "0");
        HopByHop.strip(h, false);
        assertThat(h.names()).containsExactlyInAnyOrder("host", "user-agent", "x-request-id", "content-length");
    }

    @Test
    void connectionAndTheHeadersItNamesGoInAnyCase() {
        HttpHeaders h = headers("Host", "a", "Connection", "Keep-Alive, X-Secret", "x-secret", "s",
                "Keep-Alive", "timeout=5", "Proxy-Connection", "keep-alive", "Proxy-Authorization", "Basic x",
                "Upgrade", "h2c");
        HopByHop.strip(h, false);
        assertThat(h.names()).containsExactly("Host");
    }

    @Test
    void connectionKeepAliveOrCloseAloneRemovesOnlyItself() {
        for (String value : new String[] {"keep-alive", "close", "CLOSE"}) {
            HttpHeaders h = headers("connection", value, "close", "not a hop-by-hop header");
            HopByHop.strip(h, false);
            assertThat(h.names()).as(value).containsExactly("close");
        }
    }

    @Test
    void teTrailersStaysForGrpcAndAnyOtherTeGoes() {
        HttpHeaders kept = headers("te", "trailers");
        HopByHop.strip(kept, false);
        assertThat(kept.get("te")).isEqualTo("trailers");
        HttpHeaders gone = headers("TE", "gzip");
        HopByHop.strip(gone, false);
        assertThat(gone.contains("te")).isFalse();
    }

    @Test
    void theHttp2TranslationHelperHeadersNeverGoOn() {
        HttpHeaders h = headers("x-http2-stream-id", "3", "X-HTTP2-Scheme", "https", "x-http2-path", "/p", "a", "b");
        HopByHop.strip(h, false);
        assertThat(h.names()).containsExactly("a");
    }

    @Test
    void aWebSocketUpgradeKeepsUpgradeAndSaysConnectionUpgrade() {
        HttpHeaders h = headers("connection", "Upgrade, x-other", "upgrade", "websocket", "x-other", "1");
        assertThat(HopByHop.isWebSocketUpgrade(h)).isTrue();
        HopByHop.strip(h, true);
        assertThat(h.get("connection")).isEqualToIgnoringCase("upgrade");
        assertThat(h.get("upgrade")).isEqualTo("websocket");
        assertThat(h.contains("x-other")).isFalse();
    }
}
