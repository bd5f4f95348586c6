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
     * @param loadBalancer        endpoint selection
     * @param connectTimeout      TCP connect timeout to an endpoint
     * @param upstreamIdleTimeout pooled upstream connections idle longer than this are closed; keep it below
     *                            the app's keep-alive timeout so a pooled connection is never reused as the server
     *                            closes it
     * @param circuitBreaker      concurrency limits of the service; overflow is answered 503 {@code UO} at once
     * @param outlierDetection    passive health checking: endpoints that keep failing are ejected for a while
     * @param retryBudget         the share of requests that may be retries, so retries cannot multiply an outage
     */
    public record TrafficPolicy(LoadBalancer loadBalancer, Duration connectTimeout, Duration upstreamIdleTimeout,
                                CircuitBreaker circuitBreaker, OutlierDetection outlierDetection,
                                RetryBudget retryBudget) {
        public TrafficPolicy {
            loadBalancer = loadBalancer == null ? LoadBalancer.LEAST_REQUEST : loadBalancer;
            connectTimeout = connectTimeout == null ? Defaults.CONNECT_TIMEOUT : connectTimeout;
            upstreamIdleTimeout = upstreamIdleTimeout == null ? Defaults.UPSTREAM_IDLE_TIMEOUT : upstreamIdleTimeout;
            circuitBreaker = circuitBreaker == null ? CircuitBreaker.defaults() : circuitBreaker;
            outlierDetection = outlierDetection == null ? OutlierDetection.defaults() : outlierDetection;
            retryBudget = retryBudget == null ? RetryBudget.defaults() : retryBudget;
        }

        public TrafficPolicy(LoadBalancer loadBalancer, Duration connectTimeout, Duration upstreamIdleTimeout) {
            this(loadBalancer, connectTimeout, upstreamIdleTimeout, null, null, null);
        }

        public static TrafficPolicy defaults() {
            return new TrafficPolicy(null, null, null, null, null, null);
        }
    }

    /**
     * Concurrency limits of one service, shared by all its subsets (Envoy's circuit breaker thresholds). A request
     * that would exceed one is answered 503 with flag {@code UO} without queuing; a retry that would exceed
     * {@code maxRetries} is not made.
     *
     * @param enabled            false turns every limit off
     * @param maxConnections     upstream connections open to the service's endpoints
     * @param maxPendingRequests requests waiting for a connection to be established
     * @param maxRequests        requests in flight to the service
     * @param maxRetries         retries in flight to the service
     */
    public record CircuitBreaker(boolean enabled, int maxConnections, int maxPendingRequests, int maxRequests,
                                 int maxRetries) {
        public static CircuitBreaker defaults() {
            return new CircuitBreaker(true, Defaults.MAX_CONNECTIONS, Defaults.MAX_PENDING_REQUESTS,
                    Defaults.MAX_REQUESTS, Defaults.MAX_RETRIES);
        }
    }

    /**
     * Passive health checking (Envoy's outlier detection). An endpoint that fails {@code consecutiveGatewayErrors}
     * times in a row (502, 503, 504, connect failure, reset, timeout) or {@code consecutive5xxErrors} times (any 5xx)
     * is ejected for {@code baseEjectionTime} × times ejected (at most {@code maxEjectionTime}); 0 turns a rule off.
     *
     * @param interval           how often ejected endpoints are checked for return
     * @param maxEjectionPercent most endpoints ejected at once, in percent; at least one may always be ejected
     * @param minHealthPercent   below this share of healthy endpoints the service is in panic mode and requests go
     *                           to all endpoints, ejected or not
     */
    public record OutlierDetection(int consecutiveGatewayErrors, int consecutive5xxErrors, Duration interval,
                                   Duration baseEjectionTime, Duration maxEjectionTime, int maxEjectionPercent,
                                   int minHealthPercent) {
        public OutlierDetection {
            interval = interval == null ? Defaults.OUTLIER_INTERVAL : interval;
            baseEjectionTime = baseEjectionTime == null ? Defaults.OUTLIER_BASE_EJECTION_TIME : baseEjectionTime;
            maxEjectionTime = maxEjectionTime == null ? Defaults.OUTLIER_MAX_EJECTION_TIME : maxEjectionTime;
        }

        public static OutlierDetection defaults() {
            return new OutlierDetection(Defaults.OUTLIER_CONSECUTIVE_GATEWAY_ERRORS,
                    Defaults.OUTLIER_CONSECUTIVE_5XX_ERRORS, null, null, null, Defaults.OUTLIER_MAX_EJECTION_PERCENT,
                    Defaults.OUTLIER_MIN_HEALTH_PERCENT);
        }

        /** False when both rules are off. */
        public boolean active() {
            return consecutiveGatewayErrors > 0 || consecutive5xxErrors > 0;
        }
    }

    /**
     * Retries to the service may be at most {@code percent} of its requests over {@code window}, plus
     * {@code minRetriesPerSecond} × window so a quiet service can still retry (Linkerd's budget).
     *
     * @param enabled false lets every retry the route allows through
     */
    public record RetryBudget(boolean enabled, int percent, int minRetriesPerSecond, Duration window) {
        public RetryBudget {
            window = window == null ? Defaults.RETRY_BUDGET_WINDOW : window;
        }

        public static RetryBudget defaults() {
            return new RetryBudget(true, Defaults.RETRY_BUDGET_PERCENT, Defaults.RETRY_BUDGET_MIN_RETRIES_PER_SECOND,
                    null);
        }
    }
}
