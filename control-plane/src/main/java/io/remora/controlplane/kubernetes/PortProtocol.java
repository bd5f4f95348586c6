package io.remora.controlplane.kubernetes;

import io.fabric8.kubernetes.api.model.ServicePort;

import java.util.Locale;
import java.util.Map;

/**
 * The Remora protocol of a Kubernetes Service port, chosen the way Istio's explicit protocol selection does, so
 * manifests written for Istio mean the same here: the port's {@code appProtocol} first, then the prefix of its name
 * before the first {@code -} ({@code grpc-api}, {@code http2}), else {@code http}. Protocols Remora only relays
 * (TLS, databases) are {@code tcp}, so their bytes are never parsed as HTTP.
 */
final class PortProtocol {
    static final String DEFAULT = "http";

    private static final Map<String, String> BY_NAME = Map.ofEntries(
            Map.entry("http", "http"),
            Map.entry("grpc-web", "http"),
            Map.entry("ws", "http"),
            Map.entry("http2", "http2"),
            Map.entry("h2c", "http2"),
            Map.entry("grpc", "grpc"),
            Map.entry("tcp", "tcp"),
            Map.entry("https", "tcp"),
            Map.entry("tls", "tcp"),
            Map.entry("wss", "tcp"),
            Map.entry("mongo", "tcp"),
            Map.entry("mysql", "tcp"),
            Map.entry("redis", "tcp"));

    private PortProtocol() {
    }

    /** {@code http}, {@code http2}, {@code grpc} or {@code tcp}. */
    static String of(ServicePort port) {
        String fromAppProtocol = fromAppProtocol(port.getAppProtocol());
        if (fromAppProtocol != null) {
            return fromAppProtocol;
        }
        String fromName = fromName(port.getName());
        return fromName != null ? fromName : DEFAULT;
    }

    /** {@code kubernetes.io/h2c} and {@code h2c} alike; an unknown domain-prefixed value decides nothing. */
    private static String fromAppProtocol(String appProtocol) {
        if (appProtocol == null || appProtocol.isEmpty()) {
            return null;
        }
        String value = appProtocol.toLowerCase(Locale.ROOT);
        if (value.startsWith("kubernetes.io/")) {
            value = value.substring("kubernetes.io/".length());
        }
        return BY_NAME.get(value);
    }

    /** {@code grpc-web-ui} is grpc-web, not grpc; otherwise the part before the first {@code -}. */
    private static String fromName(String name) {
        if (name == null || name.isEmpty()) {
            return null;
        }
        String value = name.toLowerCase(Locale.ROOT);
        if (value.equals("grpc-web") || value.startsWith("grpc-web-")) {
            return BY_NAME.get("grpc-web");
        }
        int dash = value.indexOf('-');
        return BY_NAME.get(dash < 0 ? value : value.substring(0, dash));
    }
}
