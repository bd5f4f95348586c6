package io.remora.proxy.http;

import io.netty.util.AsciiString;
import io.remora.proxy.metrics.WorkloadLabels;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * What two sidecars tell each other so both can label their metrics as Istio does (Istio's metadata exchange,
 * done here with two headers instead of a binary one). Only between sidecars, and only over mutual TLS, where
 * the peer's identity is verified:
 * <ul>
 *   <li>the source sidecar sends {@code x-remora-peer: workload=…,app=…,version=…} (its own labels) and
 *       {@code x-remora-service: name.namespace} (the service it routed the request to); the destination's
 *       metrics take {@code source_workload}, {@code source_app}, {@code source_version} and
 *       {@code destination_service} from them;</li>
 *   <li>the destination sidecar answers with its own {@code x-remora-peer}, for the source's
 *       {@code destination_workload}, {@code destination_app} and {@code destination_version}.</li>
 * </ul>
 * The namespace always comes from the peer's SPIFFE ID, never from a header. Both headers are removed from every
 * request and response that reaches an app or leaves the mesh, and ignored when the connection was not mutual TLS
 * (a caller cannot claim to be someone else). Parsed values are cached: the same few peers send the same value.
 */
public final class PeerMetadata {
    public static final AsciiString PEER = AsciiString.cached("x-remora-peer");
    public static final AsciiString SERVICE = AsciiString.cached("x-remora-service");
    private static final int MAX_CACHED = 1024;

    private final AsciiString own;
    private final String namespace;
    private final ConcurrentHashMap<String, ConcurrentHashMap<String, WorkloadLabels>> byNamespace =
            new ConcurrentHashMap<>();
    private final AtomicInteger cached = new AtomicInteger();

    /** @param self this sidecar's labels, sent to its peers */
    public PeerMetadata(WorkloadLabels self) {
        this.own = AsciiString.cached("workload=" + self.workload() + ",app=" + self.app() + ",version="
                + self.version());
        this.namespace = self.namespace();
    }

    /** This sidecar's {@code x-remora-peer} value, built once. */
    public AsciiString own() {
        return own;
    }

    /**
     * The peer's labels from its {@code x-remora-peer} value (null when it sent none) and the namespace of its
     * verified SPIFFE ID.
     */
    public WorkloadLabels peer(String header, String peerNamespace) {
        if (peerNamespace == null) {
            return WorkloadLabels.NONE;
        }
        String key = header == null ? "" : header;
        ConcurrentHashMap<String, WorkloadLabels> values = byNamespace.get(peerNamespace);
        WorkloadLabels labels = values == null ? null : values.get(key);
        if (labels != null) {
            return labels;
        }
        labels = parse(header, peerNamespace);
        if (cached.get() < MAX_CACHED) {
            cached.incrementAndGet();
            byNamespace.computeIfAbsent(peerNamespace, n -> new ConcurrentHashMap<>()).putIfAbsent(key, labels);
        }
        return labels;
    }

    /**
     * The service a source sidecar says it called, when it is one of this namespace's (a Kubernetes Service selects
     * pods of its own namespace only); null otherwise.
     */
    public String calledService(String header) {
        if (header == null || header.length() <= namespace.length() + 1 || !header.endsWith(namespace)
                || header.charAt(header.length() - namespace.length() - 1) != '.') {
            return null;
        }
        // The name part, checked in place (this runs per inbound request): a label of letters, digits, '-', '_'.
        int nameLength = header.length() - namespace.length() - 1;
        if (nameLength > 63) {
            return null;
        }
        for (int i = 0; i < nameLength; i++) {
            char c = header.charAt(i);
            if (!(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_')) {
                return null;
            }
        }
        return header;
    }

    private static WorkloadLabels parse(String header, String peerNamespace) {
        if (header == null) {
            return WorkloadLabels.namespaceOnly(peerNamespace);
        }
        String workload = null;
        String app = null;
        String version = null;
        for (String field : header.split(",", 8)) {
            int eq = field.indexOf('=');
            if (eq <= 0) {
                continue;
            }
            String name = field.substring(0, eq).trim();
            String value = field.substring(eq + 1).trim();
            switch (name) {
                case "workload" -> workload = value;
                case "app" -> app = value;
                case "version" -> version = value;
                default -> {
                }
            }
        }
        return new WorkloadLabels(workload, peerNamespace, app, version);
    }
}
