package io.remora.config;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class HostNamesTest {
    @ParameterizedTest
    @ValueSource(strings = {"localhost", "payments.shop.svc.cluster.local", "Api-1.Example.COM", "10.0.0.1",
            "0.0.0.0", "::", "::1", "fe80::1", "2001:db8:0:0:0:0:2:1", "::ffff:10.0.0.1"})
    void acceptsHostNamesAndIpLiterals(String host) {
        assertThat(HostNames.isHost(host)).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "my host", "under_score", "-leading.dash", "trailing-.dash", "a..b", "1::2::3",
            "2001:db8:0:0:0:0:2:1:7", "12345::1", "[::1]",
            "a123456789b123456789c123456789d123456789e123456789f123456789g1234.com"})
    void rejectsEverythingElse(String host) {
        assertThat(HostNames.isHost(host)).isFalse();
    }

    @ParameterizedTest
    @ValueSource(strings = {"web", "payments-v2", "a", "0abc"})
    void dnsLabels(String name) {
        assertThat(HostNames.isDnsLabel(name)).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {"Web", "web_1", "-web", "web-", "shop.eu", ""})
    void notDnsLabels(String name) {
        assertThat(HostNames.isDnsLabel(name)).isFalse();
    }
}
