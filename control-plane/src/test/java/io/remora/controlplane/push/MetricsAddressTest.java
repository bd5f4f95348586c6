package io.remora.controlplane.push;

import org.junit.jupiter.api.Test;

import java.net.InetAddress;

import static org.assertj.core.api.Assertions.assertThat;

/** Where the scraper goes for a sidecar's metrics: its own address, never another host it names. */
class MetricsAddressTest {
    private static InetAddress ip(String literal) throws Exception {
        return InetAddress.getByName(literal);
    }

    @Test
    void aWildcardHostIsTheAddressTheStreamComesFrom() throws Exception {
        assertThat(MetricsAddress.resolve("0.0.0.0:15020", ip("10.88.0.3"))).isEqualTo("10.88.0.3:15020");
        assertThat(MetricsAddress.resolve("[::]:15020", ip("fd00::3"))).isEqualTo("[fd00:0:0:0:0:0:0:3]:15020");
    }

    @Test
    void theStreamsOwnAddressOrLoopbackFromLoopbackIsTakenAsItIs() throws Exception {
        assertThat(MetricsAddress.resolve("10.88.0.3:15020", ip("10.88.0.3"))).isEqualTo("10.88.0.3:15020");
        assertThat(MetricsAddress.resolve("127.0.0.1:4567", ip("127.0.0.1"))).isEqualTo("127.0.0.1:4567");
    }

    @Test
    void anotherHostANameNoPortOrGarbageIsNotScraped() throws Exception {
        assertThat(MetricsAddress.resolve("10.0.0.9:15020", ip("10.88.0.3"))).isNull();
        assertThat(MetricsAddress.resolve("127.0.0.1:15020", ip("10.88.0.3"))).isNull();
        assertThat(MetricsAddress.resolve("metadata.internal:80", ip("10.88.0.3"))).isNull();
        assertThat(MetricsAddress.resolve("0.0.0.0:0", ip("10.88.0.3"))).isNull();
        assertThat(MetricsAddress.resolve("no port", ip("10.88.0.3"))).isNull();
        assertThat(MetricsAddress.resolve(null, ip("10.88.0.3"))).isNull();
        assertThat(MetricsAddress.resolve("0.0.0.0:15020", null)).isNull();
    }
}
