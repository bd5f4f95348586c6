package io.remora.proxy.cluster;

import io.remora.config.HostPort;
import io.remora.config.LoadBalancer;
import io.remora.config.Metadata;
import io.remora.config.Protocol;
import io.remora.config.Service;

import java.util.List;
import java.util.Map;

/** Small builders of service config for the cluster tests. */
final class TestServices {
    private TestServices() {
    }

    static Service.Endpoint endpoint(String address, int weight, Map<String, String> labels) {
        return new Service.Endpoint(HostPort.parse(address), labels, weight, null);
    }

    static Service.Endpoint endpoint(String address) {
        return endpoint(address, 1, Map.of());
    }

    static Service service(LoadBalancer lb, List<Service.Endpoint> endpoints, List<Service.Subset> subsets) {
        return new Service(Metadata.of("payments", "shop"),
                new Service.Spec(List.of(), List.of(), Protocol.HTTP, endpoints, subsets,
                        new Service.TrafficPolicy(lb, null, null)));
    }

    static Cluster cluster(LoadBalancer lb, Service.Endpoint... endpoints) {
        return ServiceClusters.build(service(lb, List.of(endpoints), List.of())).all();
    }

    static void load(Endpoint endpoint, int activeRequests) {
        for (int i = 0; i < activeRequests; i++) {
            endpoint.requestStarted();
        }
    }
}
