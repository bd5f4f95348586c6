package io.remora.controlplane.mesh;

import io.remora.config.ConfigError;
import io.remora.config.ConfigException;
import io.remora.config.Defaults;
import io.remora.config.KeepGoodLoader;
import io.remora.controlplane.source.MeshSource;
import io.remora.controlplane.source.SourceContent;
import io.remora.log.Log;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Turns the latest content of every source into one {@link MeshState}, validated together by the same validator
 * as {@code remora validate}. A broken origin (a file, an API object) is rejected alone: its last good content stays
 * in use, or it is left out, and the rest of the change lands. Each rejection is logged once with
 * {@code file:line:col}, counted, and reported back to its source. Calls are serialised (synchronized).
 */
public final class MeshBuilder {
    /** Told about rejected origins: for metrics. */
    public interface Rejections {
        void rejected(String source, String origin, List<ConfigError> errors);

        void current(int rejectedOrigins);
    }

    private final Map<String, MeshSource> sources = new LinkedHashMap<>();
    private final Map<String, SourceContent> latest = new LinkedHashMap<>();
    private final KeepGoodLoader loader = new KeepGoodLoader();
    private final Rejections rejections;
    private Map<String, List<ConfigError>> rejectedNow = Map.of();
    private MeshState state;
    private boolean built;

    public MeshBuilder(List<MeshSource> sources, Rejections rejections, MeshState initial) {
        for (MeshSource s : sources) {
            this.sources.put(s.name(), s);
        }
        this.rejections = rejections;
        this.state = initial;
    }

    public synchronized MeshState state() {
        return state;
    }

    /** Whether every source has delivered its content at least once. */
    public synchronized boolean complete() {
        return latest.keySet().containsAll(sources.keySet());
    }

    /**
     * Takes a source's new content; returns the new mesh state when the mesh changed. Nothing is built until every
     * source has delivered once: a mesh missing a source's resources would take them away from the sidecars.
     */
    public synchronized Optional<MeshState> update(SourceContent content) {
        latest.put(content.source(), content);
        if (!complete()) {
            Log.info("mesh_waiting_for_sources", "delivered", content.source(), "waiting_for",
                    String.join(",", sources.keySet().stream().filter(n -> !latest.containsKey(n)).toList()));
            return Optional.empty();
        }
        Map<String, byte[]> all = new LinkedHashMap<>();
        Map<String, List<ConfigError>> unreadable = new LinkedHashMap<>();
        Map<String, String> sourceOf = new LinkedHashMap<>();
        for (SourceContent c : latest.values()) {
            c.origins().forEach((origin, bytes) -> {
                all.put(origin, bytes);
                sourceOf.put(origin, c.source());
            });
            c.unreadable().forEach((origin, errors) -> {
                unreadable.put(origin, errors);
                sourceOf.put(origin, c.source());
            });
        }
        KeepGoodLoader.Result result;
        try {
            result = loader.loadSources(all, unreadable, Map.of());
        } catch (ConfigException e) {
            Log.warn("mesh_rejected", "source", content.source(), "errors", e.getMessage(),
                    "kept_version", state.version());
            report(groupByOrigin(e.errors()), sourceOf, Map.of());
            return Optional.empty();
        } catch (Throwable e) { // out of memory, a defect: this change is refused, the next one is built as usual
            String why = "the mesh could not be built: " + e;
            Log.warn("config_rejected", "source", content.source(), "errors", why, "kept_version", state.version());
            rejections.rejected(content.source(), content.source(),
                    List.of(new ConfigError(content.source(), 0, 0, "", why)));
            return Optional.empty();
        }
        report(result.rejected(), sourceOf, result.sources());
        Map<ResourceKey, String> texts = new TreeMap<>();
        result.sources().values().forEach(bytes -> ResourceTexts.split(bytes, Defaults.NAMESPACE, texts));
        texts.keySet().removeIf(k -> k.kind().equals("Sidecar")); // a bootstrap is the sidecar's own, never pushed
        String version = Versions.of(texts);
        if (version.equals(state.version()) && built) {
            return Optional.empty();
        }
        built = true;
        MeshState previous = state;
        state = new MeshState(version, result.snapshot(), new TreeMap<>(texts), content.changedAt());
        Log.info("mesh_changed", "version", version, "previous", previous.version(), "source", content.source(),
                "resources", texts.size(), "rejected", result.rejected().size());
        return Optional.of(state);
    }

    private void report(Map<String, List<ConfigError>> rejected, Map<String, String> sourceOf,
                        Map<String, byte[]> accepted) {
        for (Map.Entry<String, List<ConfigError>> e : rejected.entrySet()) {
            if (!e.getValue().equals(rejectedNow.get(e.getKey()))) {
                String source = sourceOf.getOrDefault(e.getKey(), "unknown");
                Log.warn("config_rejected", "source", source, "origin", e.getKey(),
                        "errors", String.join("\n", e.getValue().stream().map(ConfigError::toString).toList()),
                        "kept", accepted.containsKey(e.getKey()) ? "last good content" : "nothing (left out)");
                rejections.rejected(source, e.getKey(), e.getValue());
            }
        }
        rejectedNow = Map.copyOf(rejected);
        rejections.current(rejected.size());
        for (MeshSource s : sources.values()) {
            SourceContent c = latest.get(s.name());
            if (c == null) {
                continue;
            }
            Map<String, List<ConfigError>> mine = new LinkedHashMap<>();
            rejected.forEach((origin, errors) -> {
                if (c.origins().containsKey(origin)) {
                    mine.put(origin, errors);
                }
            });
            java.util.Set<String> ok = new java.util.LinkedHashSet<>(c.origins().keySet());
            ok.removeAll(mine.keySet());
            try {
                s.report(mine, ok);
            } catch (RuntimeException e) {
                Log.error("source_report_failed", e, "source", s.name());
            }
        }
    }

    private static Map<String, List<ConfigError>> groupByOrigin(List<ConfigError> errors) {
        Map<String, List<ConfigError>> out = new LinkedHashMap<>();
        for (ConfigError e : errors) {
            out.computeIfAbsent(e.file(), k -> new java.util.ArrayList<>()).add(e);
        }
        return out;
    }
}
