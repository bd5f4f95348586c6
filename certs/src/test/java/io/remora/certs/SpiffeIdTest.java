package io.remora.certs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class SpiffeIdTest {
    @Test
    void workloadIdsHaveANamespaceAndAServiceAccount() {
        SpiffeId id = SpiffeId.parse("spiffe://cluster.local/ns/shop/sa/payments");
        assertThat(id.trustDomain()).isEqualTo("cluster.local");
        assertThat(id.namespace()).isEqualTo("shop");
        assertThat(id.serviceAccount()).isEqualTo("payments");
        assertThat(id).isEqualTo(SpiffeId.workload("cluster.local", "shop", "payments"));
        assertThat(id.toString()).isEqualTo("spiffe://cluster.local/ns/shop/sa/payments");
        assertThat(SpiffeId.parse("spiffe://example.org/billing").namespace()).isNull();
    }

    @Test
    void malformedIdsAreRefusedWithTheReason() {
        assertThatThrownBy(() -> SpiffeId.parse("https://cluster.local/ns/a/sa/b"))
                .hasMessageContaining("expected spiffe://<trust-domain>/<path>");
        assertThatThrownBy(() -> SpiffeId.parse("spiffe://Cluster.local/ns/a"))
                .hasMessageContaining("lower-case letters");
        assertThatThrownBy(() -> SpiffeId.parse("spiffe:///ns/a")).hasMessageContaining("trust domain is empty");
        assertThatThrownBy(() -> SpiffeId.parse("spiffe://td/ns//a")).hasMessageContaining("empty path segment");
        assertThatThrownBy(() -> SpiffeId.parse("spiffe://td/ns/../a")).hasMessageContaining("'..'");
        assertThatThrownBy(() -> SpiffeId.parse("spiffe://td:443/a")).hasMessageContaining("got ':'");
        assertThatThrownBy(() -> SpiffeId.parse("spiffe://td/a?b")).hasMessageContaining("got '?'");
        assertThatThrownBy(() -> SpiffeId.parse("spiffe://td/a/")).hasMessageContaining("empty path segment");
    }
}
