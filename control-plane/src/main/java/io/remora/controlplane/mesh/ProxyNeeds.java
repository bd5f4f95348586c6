package io.remora.controlplane.mesh;

import io.remora.config.AuthorizationPolicy;
import io.remora.config.MeshIndex;
import io.remora.config.Route;
import io.remora.config.Service;
import io.remora.config.Snapshot;
import io.remora.protocol.Node;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Cuts one sidecar's snapshot from the mesh: the AuthorizationPolicies of its own workload (inbound), and the
 * services it may call with everything routing to them needs (outbound): the routes for those services, the
 * services their backends name, and so on until nothing new is reached. A sidecar that declares no list of calls
 * (transparent capture) gets every service and route. Which Service a name means and which Route routes it is read
 * from the mesh index the validator built, as the sidecar's routing table reads it.
 */
public final class ProxyNeeds {
    private ProxyNeeds() {
    }

    /**
     * What a snapshot depends on: sidecars with equal needs get equal snapshots, so one cut serves them all (a
     * thousand replicas of a workload, or different workloads selected by the same policies).
     *
     * @param policies the AuthorizationPolicies that select the sidecar's workload
     * @param calls    what it calls; null for everything
     */
    public record Needs(Set<ResourceKey> policies, List<String> calls) {
    }

    /** The needs of {@code node} in {@code mesh}: a pass over the policies, cheap beside a cut. */
    public static Needs of(MeshState mesh, Node node) {
        Set<ResourceKey> policies = new TreeSet<>();
        for (AuthorizationPolicy p : mesh.snapshot().authorizationPolicies()) {
            if (p.metadata().namespace().equals(node.namespace())
                    && (p.spec().workloads().isEmpty() || p.spec().workloads().contains(node.workload()))) {
                policies.add(key("AuthorizationPolicy", p.metadata().namespace(), p.metadata().name()));
            }
        }
        return new Needs(policies, node.calls());
    }

    public static ProxySnapshot cut(MeshState mesh, Node node) {
        return cut(mesh, of(mesh, node));
    }

    public static ProxySnapshot cut(MeshState mesh, Needs needs) {
        Snapshot s = mesh.snapshot();
        Set<ResourceKey> keys = new TreeSet<>(needs.policies());
        if (needs.calls() == null) {
            s.services().forEach(v -> keys.add(key("Service", v.metadata().namespace(), v.metadata().name())));
            s.routes().forEach(r -> keys.add(key("Route", r.metadata().namespace(), r.metadata().name())));
        } else {
            outbound(s, needs.calls(), keys);
        }
        StringBuilder text = new StringBuilder();
        Map<ResourceKey, String> chosen = new TreeMap<>();
        for (ResourceKey k : keys) {
            String t = mesh.texts().get(k);
            if (t != null) {
                chosen.put(k, t);
            }
        }
        // Services first, so a reader meets what routes refer to before the routes.
        for (String kind : List.of("Service", "Route", "AuthorizationPolicy")) {
            chosen.forEach((k, t) -> {
                if (k.kind().equals(kind)) {
                    text.append("---\n").append(t);
                }
            });
        }
        String resources = text.toString();
        return new ProxySnapshot(Versions.of(resources), resources, chosen.size());
    }

    private static void outbound(Snapshot s, List<String> calls, Set<ResourceKey> keys) {
        MeshIndex mesh = s.mesh();
        Deque<Service> todo = new ArrayDeque<>();
        Set<String> seen = new HashSet<>();
        for (String call : calls) {
            Service v = resolve(mesh, call);
            if (v != null && seen.add(v.key())) {
                todo.add(v);
            }
        }
        while (!todo.isEmpty()) {
            Service v = todo.poll();
            keys.add(key("Service", v.metadata().namespace(), v.metadata().name()));
            Route r = mesh.routeOf(v.key());
            if (r == null) {
                continue;
            }
            keys.add(key("Route", r.metadata().namespace(), r.metadata().name()));
            // A route names its services and its backends' services; the sidecar's validator wants them all.
            List<String> refs = new ArrayList<>(r.spec().services());
            r.spec().rules().forEach(rule -> rule.backends().forEach(b -> refs.add(b.service())));
            for (String ref : refs) {
                Service w = resolve(mesh, ref);
                if (w != null && seen.add(w.key())) {
                    todo.add(w);
                }
            }
        }
    }

    /**
     * The Service a reference names, as the validator resolves it (the mesh index's), or by its key in lower case:
     * a sidecar's calls come from its hello, which no validator has read.
     */
    private static Service resolve(MeshIndex mesh, String reference) {
        String key = mesh.serviceKeyOf(reference);
        return mesh.service(key != null ? key : mesh.serviceKeyOf(reference.toLowerCase(Locale.ROOT)));
    }

    private static ResourceKey key(String kind, String namespace, String name) {
        return new ResourceKey(kind, namespace, name);
    }
}
