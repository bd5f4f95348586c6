package io.remora.controlplane.kubernetes;

/**
 * An origin that stands for one Remora custom object ({@code routes.remora.io/shop/reviews}). The control plane
 * reports rejections by origin; this turns one back into the object whose status should show it.
 */
record CrdOrigin(MeshCrd crd, String namespace, String name) {

    /** The object {@code origin} names, or null when it names none (e.g. {@code services/shop/reviews}). */
    static CrdOrigin parse(String origin) {
        String[] parts = origin.split("/", -1);
        if (parts.length != 3 || parts[1].isEmpty() || parts[2].isEmpty()) {
            return null;
        }
        for (MeshCrd crd : MeshCrd.values()) {
            if (crd.crdName().equals(parts[0])) {
                return new CrdOrigin(crd, parts[1], parts[2]);
            }
        }
        return null;
    }

    String origin() {
        return crd.origin(namespace, name);
    }
}
