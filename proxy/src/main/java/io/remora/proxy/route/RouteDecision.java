package io.remora.proxy.route;

import io.netty.handler.codec.http.HttpResponseStatus;
import io.remora.proxy.cluster.Cluster;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Objects;

/**
 * Where one HTTP request goes, as the router decides it before any policy runs: upstream, or answered by the proxy
 * itself. A value: the router writes nothing into the exchange, and a routed service's decision is built once with
 * the route table ({@link RouteMatch#upstream()}), not per request.
 */
public sealed interface RouteDecision permits RouteDecision.Upstream, RouteDecision.LocalAnswer {
    /** {@code destination_service} of the request, for its metrics and access log. */
    String destinationService();

    /** The cluster name in the access log ({@code payments.shop/v2}, {@code inbound|8080|http}...), or null. */
    String clusterName();

    /** The route in the access log ({@code reviews/canary}, {@code inbound}, {@code passthrough}), or null. */
    String routeName();

    /**
     * Upstream.
     *
     * @param cluster the routed cluster, an endpoint picked per try; null for inbound and passthrough, which go to
     *                {@code address}
     * @param address the one upstream address when {@code cluster} is null
     * @param source  the local address to connect from (inbound to an app on the pod IP: 127.0.0.6), or null
     * @param h2      whether the upstream speaks HTTP/2
     */
    record Upstream(String destinationService, String clusterName, String routeName, Cluster cluster,
                    RoutePolicy policy, InetSocketAddress address, InetSocketAddress source, boolean h2,
                    Duration connectTimeout, Duration idleTimeout) implements RouteDecision {
        public Upstream {
            Objects.requireNonNull(destinationService, "destinationService");
            Objects.requireNonNull(policy, "policy");
            Objects.requireNonNull(connectTimeout, "connectTimeout");
            Objects.requireNonNull(idleTimeout, "idleTimeout");
            if ((cluster == null) == (address == null)) {
                throw new IllegalArgumentException("an upstream is either a cluster or one address");
            }
        }

        /** The same decision under another {@code destination_service} (inbound: the service the caller called). */
        public Upstream as(String service) {
            return service.equals(destinationService) ? this : new Upstream(service, clusterName, routeName, cluster,
                    policy, address, source, h2, connectTimeout, idleTimeout);
        }
    }

    /** Answered by the proxy: 404 {@code NR}, 503 {@code UH} or {@code LOOP}, 403 {@code RBAC}. */
    record LocalAnswer(HttpResponseStatus status, String flags, String message, String destinationService,
                       String clusterName, String routeName) implements RouteDecision {
    }
}
