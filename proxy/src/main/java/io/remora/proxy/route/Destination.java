package io.remora.proxy.route;

import io.remora.proxy.inbound.InboundTarget;

import java.net.InetSocketAddress;
import java.util.Objects;

/**
 * Where a downstream connection, or one HTTP request on it, goes, as its listener resolves it
 * ({@code listener.Destinations}): a mesh service, the original address (passthrough), the local app, or nowhere.
 * One value for the HTTP path and the TCP path, so each question (passthrough, loop, authorization, whether the
 * destination speaks HTTP) is answered in one place and each path only acts on the answer.
 *
 * <p>A mesh service is its {@link ServiceRoutes} itself, so resolving a routed request allocates nothing.
 */
public sealed interface Destination permits ServiceRoutes, Destination.Passthrough, Destination.LocalApp,
        Destination.Refused {

    /**
     * A destination the mesh does not know: relayed to where the app meant to go (Istio's {@code ALLOW_ANY}).
     *
     * @param address the connection's original destination
     */
    record Passthrough(InetSocketAddress address) implements Destination {
        /** Cluster and service name Envoy and Istio use for traffic to destinations the mesh does not know. */
        public static final String CLUSTER = "PassthroughCluster";

        public Passthrough {
            Objects.requireNonNull(address, "address");
        }
    }

    /**
     * Inbound: the local app.
     *
     * @param app     the app's socket, the source to connect from, its port's protocol and cluster
     * @param service the {@code destination_service} unless the caller names the one it called: this workload's
     */
    record LocalApp(InboundTarget app, String service) implements Destination {
        public LocalApp {
            Objects.requireNonNull(app, "app");
            Objects.requireNonNull(service, "service");
        }
    }

    /**
     * Nowhere: an unknown service (404 {@code NR}), a loop ({@code LOOP}), or an authorization policy's refusal (403
     * {@code RBAC}). An HTTP request gets {@code answer} as it is; a TCP connection is closed and logged with its
     * flags and cluster.
     */
    record Refused(RouteDecision.LocalAnswer answer) implements Destination {
        public Refused {
            Objects.requireNonNull(answer, "answer");
        }
    }
}
