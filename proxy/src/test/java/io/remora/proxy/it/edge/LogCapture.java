package io.remora.proxy.it.edge;

import com.fasterxml.jackson.databind.JsonNode;
import io.remora.log.Log;

import java.util.List;

/**
 * Captures the proxy's operational log lines while it lives (create it as an {@code @AutoClose} field): installs
 * itself as the log writer, and restores the default when closed.
 */
public final class LogCapture implements AutoCloseable {
    private final Edge.LineSink sink = new Edge.LineSink();

    public LogCapture() {
        Log.install(sink.writer());
    }

    /** The lines whose {@code event} is {@code event}, in order. */
    public List<JsonNode> events(String event) {
        return sink.lines().stream().filter(l -> event.equals(l.path("event").asText())).toList();
    }

    public List<JsonNode> lines() {
        return sink.lines();
    }

    @Override
    public void close() {
        Log.install(null);
        sink.close();
    }
}
