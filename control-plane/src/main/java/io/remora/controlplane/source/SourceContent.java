package io.remora.controlplane.source;

import java.time.Instant;
import java.util.Map;

/**
 * One source's whole content at a moment.
 *
 * @param source    the source's {@link MeshSource#name()}
 * @param origins   origin (as errors print it: a file path, or {@code routes.remora.io/shop/reviews} for an API
 *                  object) → YAML bytes of one or more resources in the config-file schema
 *                  ({@code apiVersion: remora.io/v1}, kind Service, Route or AuthorizationPolicy); in a stable order
 * @param changedAt when the change was seen (convergence is measured from here)
 */
public record SourceContent(String source, Map<String, byte[]> origins, Instant changedAt) {
    public SourceContent {
        origins = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(origins));
    }
}
