package io.remora.controlplane.source;

import io.remora.config.ConfigError;

import java.time.Instant;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One source's whole content at a moment.
 *
 * @param source     the source's {@link MeshSource#name()}
 * @param origins    origin (as errors print it: a file path, or {@code routes.remora.io/shop/reviews} for an API
 *                   object) → YAML bytes of one or more resources in the config-file schema
 *                   ({@code apiVersion: remora.io/v1}, kind Service, Route or AuthorizationPolicy); in a stable order
 * @param changedAt  when the change was seen (convergence is measured from here)
 * @param unreadable origins that are there but were not read (a file over the size limit), with why: each is
 *                   rejected like an origin with errors, its last good content kept
 */
public record SourceContent(String source, Map<String, byte[]> origins, Instant changedAt,
                            Map<String, List<ConfigError>> unreadable) {
    public SourceContent {
        origins = Collections.unmodifiableMap(new LinkedHashMap<>(origins));
        unreadable = Collections.unmodifiableMap(new LinkedHashMap<>(unreadable));
    }

    public SourceContent(String source, Map<String, byte[]> origins, Instant changedAt) {
        this(source, origins, changedAt, Map.of());
    }
}
