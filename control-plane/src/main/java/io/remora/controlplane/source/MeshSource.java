package io.remora.controlplane.source;

import io.remora.config.ConfigError;

import java.util.List;
import java.util.Map;

/**
 * Where mesh resources come from: a YAML directory, or the Kubernetes API. A source delivers its whole content
 * (state of the world) every time it changes; the control plane validates all sources together, rejects broken
 * origins alone, and tells the source which ones it rejected so it can show it where its users look.
 */
public interface MeshSource extends AutoCloseable {
    /** Receives a source's content; called from the source's own thread, never concurrently for one source. */
    interface Listener {
        void changed(SourceContent content);
    }

    /** A short name for logs and metrics, e.g. {@code directory} or {@code kubernetes}. */
    String name();

    /** Starts watching; the first content (possibly empty) is delivered before this returns or soon after. */
    void start(Listener listener);

    /**
     * After each rebuild: the origins of this source that were rejected (with their errors) and those in use.
     * Kubernetes writes it to the resources' status; a directory has nothing to write (the log says it).
     */
    default void report(Map<String, List<ConfigError>> rejected, java.util.Set<String> accepted) {
    }

    @Override
    void close();
}
