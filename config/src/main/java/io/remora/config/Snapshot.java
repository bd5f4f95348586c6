package io.remora.config;

import java.util.List;
import java.util.Objects;

/**
 * An immutable, versioned set of resources: what one proxy runs with. Value-equal, so an unchanged
 * snapshot can be recognised and skipped.
 *
 * <p>It always carries the {@link MeshIndex} of its Services and Routes, so no snapshot exists whose names,
 * addresses or routes contradict each other: a loaded one gets the index the validator built, one made in code
 * is indexed by {@link MeshIndex#of} (which refuses what the validator would).
 *
 * @param version  opaque version (content hash for files, control-plane version later)
 * @param sidecar  the bootstrap of this proxy; null when the files hold none (defaults then apply)
 * @param services services by declaration order
 * @param routes   routes by declaration order
 * @param authorizationPolicies who may call which workload
 * @param mesh     the index of {@code services} and {@code routes}; null to have it built from them
 * @throws IllegalArgumentException when {@code mesh} is not the index of these services and routes, or when they
 *                                  cannot be indexed (see {@link MeshIndex#of})
 */
public record Snapshot(String version, Sidecar sidecar, List<Service> services, List<Route> routes,
                       List<AuthorizationPolicy> authorizationPolicies, MeshIndex mesh) {
    public Snapshot {
        Objects.requireNonNull(version, "version");
        services = services == null ? List.of() : List.copyOf(services);
        routes = routes == null ? List.of() : List.copyOf(routes);
        authorizationPolicies = authorizationPolicies == null ? List.of() : List.copyOf(authorizationPolicies);
        if (mesh == null) {
            mesh = MeshIndex.of(services, routes);
        } else if (!mesh.indexes(services, routes)) {
            throw new IllegalArgumentException("the mesh index given is not the one of these services and routes");
        }
    }

    public Snapshot(String version, Sidecar sidecar, List<Service> services, List<Route> routes,
                    List<AuthorizationPolicy> authorizationPolicies) {
        this(version, sidecar, services, routes, authorizationPolicies, null);
    }

    public Snapshot(String version, Sidecar sidecar, List<Service> services, List<Route> routes) {
        this(version, sidecar, services, routes, null, null);
    }

    /** The same resources and index under another version and Sidecar (a pushed snapshot on a proxy's own). */
    public Snapshot with(String version, Sidecar sidecar) {
        return new Snapshot(version, sidecar, services, routes, authorizationPolicies, mesh);
    }

    /** The sidecar bootstrap, or one with every default when the config holds none. */
    public Sidecar sidecarOrDefault() {
        return sidecar != null ? sidecar : Sidecar.defaults();
    }
}
