package io.remora.controlplane.mesh;

/** What names a resource in the mesh: kind, namespace and name (unique, the validator sees to that). */
public record ResourceKey(String kind, String namespace, String name) implements Comparable<ResourceKey> {
    @Override
    public int compareTo(ResourceKey o) {
        int c = kind.compareTo(o.kind);
        if (c == 0) {
            c = namespace.compareTo(o.namespace);
        }
        return c != 0 ? c : name.compareTo(o.name);
    }

    @Override
    public String toString() {
        return kind + " " + namespace + "/" + name;
    }
}
