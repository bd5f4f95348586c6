package io.remora.config;

import java.util.Map;

/** Kubernetes-style object metadata shared by every resource. */
public record Metadata(String name, String namespace, Map<String, String> labels) {
    public Metadata {
        namespace = namespace == null || namespace.isEmpty() ? Defaults.NAMESPACE : namespace;
        labels = labels == null ? Map.of() : Map.copyOf(labels);
    }

    public static Metadata of(String name, String namespace) {
        return new Metadata(name, namespace, Map.of());
    }

    /** {@code name.namespace}: the key other resources use to refer to this one. */
    public String qualifiedName() {
        return name + "." + namespace;
    }
}
