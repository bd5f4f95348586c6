package io.remora.controlplane.kubernetes;

import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;

/**
 * The Remora custom resources the control plane watches: one per config kind that a cluster may hold. The Sidecar
 * kind is not among them, since a sidecar's bootstrap comes with its pod, not from the API. Names, plurals and the
 * group here must match {@code deploy/kubernetes/crds.yaml} (a test checks both).
 */
public enum MeshCrd {
    SERVICE("Service", "services"),
    ROUTE("Route", "routes"),
    AUTHORIZATION_POLICY("AuthorizationPolicy", "authorizationpolicies");

    public static final String GROUP = "remora.io";
    public static final String VERSION = "v1";
    /** The same value config files carry, so an API object and a file are one schema. */
    public static final String API_VERSION = GROUP + "/" + VERSION;

    private final String kind;
    private final String plural;

    MeshCrd(String kind, String plural) {
        this.kind = kind;
        this.plural = plural;
    }

    public String kind() {
        return kind;
    }

    public String plural() {
        return plural;
    }

    /** The CRD's name, e.g. {@code routes.remora.io}; also the first part of its objects' origins. */
    public String crdName() {
        return plural + "." + GROUP;
    }

    /** What fabric8's generic client needs to list, watch and write objects of this kind. */
    public ResourceDefinitionContext context() {
        return new ResourceDefinitionContext.Builder()
                .withGroup(GROUP)
                .withVersion(VERSION)
                .withKind(kind)
                .withPlural(plural)
                .withNamespaced(true)
                .build();
    }

    /** The origin errors and reports name an object by: {@code routes.remora.io/shop/reviews}. */
    public String origin(String namespace, String name) {
        return crdName() + "/" + namespace + "/" + name;
    }
}
