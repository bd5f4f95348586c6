package io.remora.config;

import java.util.List;
import java.util.Objects;

/**
 * An immutable, versioned set of resources: what one proxy runs with. Value-equal, so an unchanged
 * snapshot can be recognised and skipped.
 *
 * @param version  opaque version (content hash for files, control-plane version later)
 * @param sidecar  the bootstrap of this proxy; null when the files hold none (defaults then apply)
 * @param services services by declaration order
 * @param routes   routes by declaration order
 * @param authorizationPolicies who may call which workload
 */
public record Snapshot(String version, Sidecar sidecar, List<Service> services, List<Route> routes,
                       List<AuthorizationPolicy> authorizationPolicies) {
    public Snapshot {
        Objects.requireNonNull(version, "version");
        services = services == null ? List.of() : List.copyOf(services);
        routes = routes == null ? List.of() : List.copyOf(routes);
        authorizationPolicies = authorizationPolicies == null ? List.of() : List.copyOf(authorizationPolicies);
    }

    public Snapshot(String version, Sidecar sidecar, List<Service> services, List<Route> routes) {
        this(version, sidecar, services, routes, null);
    }

    /** The sidecar bootstrap, or one with every default when the config holds none. */
    public Sidecar sidecarOrDefault() {
        return sidecar != null ? sidecar : Sidecar.defaults();
    }
}
