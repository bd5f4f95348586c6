package io.remora.config;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/** A mesh service ({@code payments.shop}): the names it answers to, its endpoints and how to reach them. */
public record Service(Metadata metadata, Spec spec) implements Resource {
    public Service {
        Objects.requireNonNull(metadata, "metadata");
        Objects.requireNonNull(spec, "spec");
    }

    @Override
    public String kind() {
        return "Service";
    }

    /** {@code name.namespace}; what routes and upstreams refer to. */
    public String key() {
        return metadata.qualifiedName();
    }

    /**
     * @param hosts         authorities (Host / :authority, port optional) that address this service; the key
     *                      {@code name.namespace} always does
     * @param addresses     virtual addresses (ip:port) the app may dial; matched against the original destination
     * @param protocol      protocol spoken to the endpoints
     * @param endpoints     static endpoints
     * @param subsets       named endpoint groups selected by labels (for weighted routing: canary, blue/green)
     * @param trafficPolicy how endpoints are chosen and connected to
     */
    public record Spec(List<String> hosts, List<HostPort> addresses, Protocol protocol, List<Endpoint> endpoints,
                       List<Subset> subsets, TrafficPolicy trafficPolicy) {
        public Spec {
            hosts = hosts == null ? List.of() : List.copyOf(hosts);
            addresses = addresses == null ? List.of() : List.copyOf(addresses);
            protocol = protocol == null ? Protocol.HTTP : protocol;
            endpoints = endpoints == null ? List.of() : List.copyOf(endpoints);
            subsets = subsets == null ? List.of() : List.copyOf(subsets);
            trafficPolicy = trafficPolicy == null ? TrafficPolicy.defaults() : trafficPolicy;
        }
    }

    /**
     * @param address  ip:port (or host:port, resolved once when the config is applied)
     * @param labels   used by subsets
     * @param weight   relative share within its subset (default 1)
     * @param identity expected SPIFFE ID of the endpoint (used once mTLS is on)
     */
    public record Endpoint(HostPort address, Map<String, String> labels, int weight, String identity) {
        public Endpoint {
            Objects.requireNonNull(address, "address");
            labels = labels == null ? Map.of() : Map.copyOf(labels);
            weight = weight <= 0 ? 1 : weight;
        }

        public static Endpoint of(HostPort address) {
            return new Endpoint(address, Map.of(), 1, null);
        }
    }

    /** Endpoints whose labels include all of {@code labels}. */
    public record Subset(String name, Map<String, String> labels) {
        public Subset {
            Objects.requireNonNull(name, "name");
            labels = labels == null ? Map.of() : Map.copyOf(labels);
        }
    }

    /**
     * @param loadBalancer       endpoint selection
     * @param connectTimeout     TCP connect timeout to an endpoint
     * @param upstreamIdleTimeout pooled upstream connections idle longer than this are closed; keep it below
     *                           the app's keep-alive timeout so a pooled connection is never reused as the server
     *                           closes it
     */
    public record TrafficPolicy(LoadBalancer loadBalancer, Duration connectTimeout, Duration upstreamIdleTimeout) {
        public TrafficPolicy {
            loadBalancer = loadBalancer == null ? LoadBalancer.LEAST_REQUEST : loadBalancer;
            connectTimeout = connectTimeout == null ? Defaults.CONNECT_TIMEOUT : connectTimeout;
            upstreamIdleTimeout = upstreamIdleTimeout == null ? Defaults.UPSTREAM_IDLE_TIMEOUT : upstreamIdleTimeout;
        }

        public static TrafficPolicy defaults() {
            return new TrafficPolicy(null, null, null);
        }
    }
}
