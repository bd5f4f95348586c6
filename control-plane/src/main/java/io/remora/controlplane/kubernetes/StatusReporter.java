package io.remora.controlplane.kubernetes;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.remora.config.ConfigError;
import io.remora.log.Log;

import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Writes the control plane's verdict on Remora custom objects into their status subresource: {@code Accepted=False}
 * with the validator's errors for a rejected object, and {@code Accepted=True} again once an object that was
 * rejected is in use. An object whose status already says so is not written, so a steady cluster causes no writes
 * (and the status writes, which the informers see, cause no further deliveries). Objects accepted from the start get
 * no write at all, so a large cluster starts without a burst of status updates. A failed write is logged and never
 * fails the source: the next report tries again.
 */
final class StatusReporter {
    /** The informer's cached copy of an object; null when not (or no longer) known. */
    @FunctionalInterface
    interface Cache {
        GenericKubernetesResource get(MeshCrd crd, String namespace, String name);
    }

    private final KubernetesClient client;
    private final Clock clock;
    private final Cache cache;
    /** The condition last written per object (name and uid); reports come from the source's one thread. */
    private final Map<String, AcceptedCondition> written = new java.util.HashMap<>();

    StatusReporter(KubernetesClient client, Clock clock, Cache cache) {
        this.client = client;
        this.clock = clock;
        this.cache = cache;
    }

    /**
     * @param rejected origins the control plane rejected, with their errors; those that are not custom objects
     *                 (translated Kubernetes Services) have no status to write and are left to the control plane's log
     * @param accepted origins in use
     */
    void report(Map<String, List<ConfigError>> rejected, Set<String> accepted) {
        // Objects no longer delivered (deleted) are forgotten.
        written.keySet().removeIf(k -> {
            String origin = k.substring(0, k.lastIndexOf('#'));
            return !rejected.containsKey(origin) && !accepted.contains(origin);
        });
        for (Map.Entry<String, List<ConfigError>> e : rejected.entrySet()) {
            CrdOrigin origin = CrdOrigin.parse(e.getKey());
            GenericKubernetesResource object = origin == null ? null : cached(origin);
            if (object != null) {
                write(origin, object, AcceptedCondition.rejected(e.getValue(), object.getMetadata().getGeneration()));
            }
        }
        for (String name : accepted) {
            CrdOrigin origin = rejected.containsKey(name) ? null : CrdOrigin.parse(name);
            GenericKubernetesResource object = origin == null ? null : cached(origin);
            String current = object == null ? null : AcceptedCondition.currentStatus(object);
            if (current != null && !current.equals("True")) {
                write(origin, object, AcceptedCondition.accepted(object.getMetadata().getGeneration()));
            }
        }
    }

    private GenericKubernetesResource cached(CrdOrigin origin) {
        return cache.get(origin.crd(), origin.namespace(), origin.name());
    }

    private void write(CrdOrigin origin, GenericKubernetesResource cached, AcceptedCondition condition) {
        if (condition.shownBy(cached) || condition.equals(written.get(key(origin, cached)))) {
            return; // the informer's copy may not show our last write yet: what was written is not written again
        }
        try {
            client.genericKubernetesResources(origin.crd().context())
                    .inNamespace(origin.namespace())
                    .withName(origin.name())
                    .editStatus(fresh -> withStatus(fresh, condition.applyTo(
                            fresh.getAdditionalProperties().get("status"), clock.instant())));
            written.put(key(origin, cached), condition);
            Log.info("kubernetes_status_written", "object", origin.origin(), "accepted", condition.accepted(),
                    "message", condition.message());
        } catch (RuntimeException e) {
            Log.warn("kubernetes_status_write_failed", "object", origin.origin(), "accepted", condition.accepted(),
                    "error", String.valueOf(e.getMessage()));
        }
    }

    /** An object by name and uid: one deleted and created again under its name is a new object. */
    private static String key(CrdOrigin origin, GenericKubernetesResource object) {
        return origin.origin() + "#" + object.getMetadata().getUid();
    }

    /** A new object (the one given is not changed) equal to {@code object} but for its status. */
    private static GenericKubernetesResource withStatus(GenericKubernetesResource object, Map<String, Object> status) {
        GenericKubernetesResource copy = new GenericKubernetesResource();
        copy.setApiVersion(object.getApiVersion());
        copy.setKind(object.getKind());
        copy.setMetadata(object.getMetadata());
        Map<String, Object> properties = new LinkedHashMap<>(object.getAdditionalProperties());
        properties.put("status", status);
        copy.setAdditionalProperties(properties);
        return copy;
    }
}
