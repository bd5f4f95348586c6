package io.remora.proxy.cluster;

import io.remora.config.HostPort;
import io.remora.config.LoadBalancer;
import io.remora.config.Protocol;
import io.remora.config.Service;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;

import static io.remora.proxy.cluster.TestServices.endpoint;
import static io.remora.proxy.cluster.TestServices.service;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ServiceClustersTest {
    private final Service payments = service(LoadBalancer.LEAST_REQUEST,
            List.of(endpoint("10.0.0.1:8080", 1, Map.of("version", "v1")),
                    endpoint("10.0.0.2:8080", 3, Map.of("version", "v2", "zone", "a")),
                    endpoint("[fd00::3]:8080", 1, Map.of("version", "v2", "zone", "b"))),
            List.of(new Service.Subset("v1", Map.of("version", "v1")),
                    new Service.Subset("v2", Map.of("version", "v2")),
                    new Service.Subset("v2a", Map.of("version", "v2", "zone", "a")),
                    new Service.Subset("none", Map.of("version", "v9"))));

    @Test
    void subsetsHoldTheSameEndpointInstancesAsTheWholeService() {
        ServiceClusters clusters = ServiceClusters.build(payments);
        List<Endpoint> all = clusters.all().endpoints();
        assertThat(all).hasSize(3);
        assertThat(clusters.subset("v1").endpoints()).singleElement().isSameAs(all.get(0));
        assertThat(clusters.subset("v2").endpoints()).hasSize(2);
        assertThat(clusters.subset("v2").endpoints().get(0)).isSameAs(all.get(1));
        assertThat(clusters.subset("v2").endpoints().get(1)).isSameAs(all.get(2));
        assertThat(clusters.subset("v2a").endpoints()).singleElement().isSameAs(all.get(1));

        clusters.subset("v2a").pick().requestStarted();
        assertThat(all.get(1).activeRequests()).isEqualTo(1);
    }

    @Test
    void clustersAreNamedAfterServiceAndSubset() {
        ServiceClusters clusters = ServiceClusters.build(payments);
        assertThat(clusters.clusters()).extracting(Cluster::name)
                .containsExactly("payments.shop", "payments.shop/v1", "payments.shop/v2", "payments.shop/v2a",
                        "payments.shop/none");
        Cluster v2 = clusters.subset("v2");
        assertThat(v2.serviceKey()).isEqualTo("payments.shop");
        assertThat(v2.subset()).isEqualTo("v2");
        assertThat(clusters.all().subset()).isNull();
        assertThat(v2.protocol()).isEqualTo(Protocol.HTTP);
        assertThat(v2.policy().loadBalancer()).isEqualTo(LoadBalancer.LEAST_REQUEST);
        assertThat(clusters.subset("missing")).isNull();
    }

    @Test
    void aSubsetWithoutEndpointsPicksNothing() {
        assertThat(ServiceClusters.build(payments).subset("none").pick()).isNull();
    }

    @Test
    void endpointsCarryConfigAndResolvedAddress() {
        List<Endpoint> all = ServiceClusters.build(payments).all().endpoints();
        Endpoint v6 = all.get(2);
        assertThat(v6.address()).isEqualTo(new InetSocketAddress("fd00::3", 8080));
        assertThat(v6.address().isUnresolved()).isFalse();
        assertThat(v6).hasToString("[fd00::3]:8080");
        assertThat(all.get(1)).hasToString("10.0.0.2:8080");
        assertThat(all.get(1).weight()).isEqualTo(3);
        assertThat(all.get(1).labels()).containsEntry("zone", "a");
        assertThat(all.get(1).identity()).isNull();
        Endpoint withIdentity = Endpoint.of(new Service.Endpoint(HostPort.parse("10.0.0.9:80"),
                Map.of(), 1, "spiffe://cluster.local/ns/shop/sa/payments"));
        assertThat(withIdentity.identity()).isEqualTo("spiffe://cluster.local/ns/shop/sa/payments");
    }

    @Test
    void repeatedSubsetNameIsRejected() {
        Service bad = service(LoadBalancer.ROUND_ROBIN, List.of(endpoint("10.0.0.1:80")),
                List.of(new Service.Subset("v1", Map.of()), new Service.Subset("v1", Map.of())));
        assertThatThrownBy(() -> ServiceClusters.build(bad))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("v1");
    }
}
