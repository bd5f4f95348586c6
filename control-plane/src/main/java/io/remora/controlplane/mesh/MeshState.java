package io.remora.controlplane.mesh;

import io.remora.config.Service;
import io.remora.config.Snapshot;

import java.time.Instant;
import java.util.Collections;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * The whole mesh as the control plane knows it: the validated resources of every source, immutable. Sidecar
 * snapshots are cut from it.
 *
 * @param version   content hash of {@link #texts}; equal versions are equal meshes
 * @param snapshot  the parsed resources (to work out what each sidecar needs)
 * @param texts     each resource's YAML text, by key, in key order
 * @param changedAt when the source change that led to this state was seen
 */
public record MeshState(String version, Snapshot snapshot, SortedMap<ResourceKey, String> texts, Instant changedAt) {
    public MeshState {
        texts = Collections.unmodifiableSortedMap(new TreeMap<>(texts));
    }

    /** This state, as the result of changes seen since {@code at} (the earliest of those it merges). */
    public MeshState changedSince(Instant at) {
        return at.isBefore(changedAt) ? new MeshState(version, snapshot, texts, at) : this;
    }

    public static MeshState empty(Instant at) {
        return new MeshState(Versions.of(Map.of()), new Snapshot("empty", null, null, null), new TreeMap<>(), at);
    }

    /** Whether some endpoint of {@code previous} is gone here: such a change is pushed without waiting. */
    public boolean removesEndpointsOf(MeshState previous) {
        Set<String> now = endpoints(this);
        for (String e : endpoints(previous)) {
            if (!now.contains(e)) {
                return true;
            }
        }
        return false;
    }

    private static Set<String> endpoints(MeshState state) {
        Set<String> out = new HashSet<>();
        for (Service s : state.snapshot().services()) {
            for (Service.Endpoint e : s.spec().endpoints()) {
                out.add(s.key() + "|" + e.address());
            }
        }
        return out;
    }
}
