package io.remora.proxy;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonSerializer;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.module.SimpleModule;
import io.remora.config.HostPort;
import io.remora.config.Snapshot;

import java.io.IOException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code /config_dump}: the config the proxy runs with, as JSON, in the same shapes and units as the YAML; with a
 * control plane, also a {@code control_plane} section saying where the config comes from and how that goes.
 */
final class ConfigDump {
    private ConfigDump() {
    }

    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(SerializationFeature.INDENT_OUTPUT)
            .registerModule(new SimpleModule()
                    .addSerializer(Duration.class, new ToStringSerializer<>(ConfigDump::duration))
                    .addSerializer(HostPort.class, new ToStringSerializer<>(HostPort::toString)));

    static String json(Snapshot snapshot, List<Map<String, Object>> listeners) {
        return json(snapshot, listeners, null);
    }

    /** @param controlPlane the control-plane section; null in static mode, which has none */
    static String json(Snapshot snapshot, List<Map<String, Object>> listeners, Map<String, Object> controlPlane) {
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("version", snapshot.version());
        if (controlPlane != null) {
            root.put("control_plane", controlPlane);
        }
        root.put("listeners", listeners);
        root.put("sidecar", snapshot.sidecarOrDefault());
        root.put("services", snapshot.services());
        root.put("routes", snapshot.routes());
        try {
            return JSON.writeValueAsString(root);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("config dump failed", e);
        }
    }

    /** Durations as written in config: {@code 250ms}, {@code 5s}, {@code 2m}. */
    static String duration(Duration d) {
        long ms = d.toMillis();
        if (ms % 60_000 == 0 && ms != 0) {
            return ms / 60_000 + "m";
        }
        if (ms % 1000 == 0) {
            return ms / 1000 + "s";
        }
        return ms + "ms";
    }

    private static final class ToStringSerializer<T> extends JsonSerializer<T> {
        private final java.util.function.Function<T, String> f;

        ToStringSerializer(java.util.function.Function<T, String> f) {
            this.f = f;
        }

        @Override
        public void serialize(T value, JsonGenerator gen, SerializerProvider serializers) throws IOException {
            gen.writeString(f.apply(value));
        }
    }
}
