package io.remora.launcher;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * {@code remora proxy --kubernetes}: the Sidecar of an injected pod, built from the environment the injector gives
 * the sidecar container (the downward API and a few {@code REMORA_*} variables), so no ConfigMap per workload is
 * needed. The pod's fixed layout — inbound capture on 15006 by original port, outbound capture on 15001, metrics on
 * 15020, health on 15021, admin on loopback 15000, the control plane for everything else — is written here once;
 * the remaining {@code REMORA_*} variables then override Sidecar fields as everywhere (drain time, control plane).
 */
final class PodSidecar {
    /** Variables read here and not Sidecar fields, so they are taken out before the overrides are applied. */
    static final Set<String> CONSUMED = Set.of("REMORA_INBOUND_PORTS", "REMORA_CANONICAL_NAME",
            "REMORA_CANONICAL_REVISION", "REMORA_LOG_LEVEL", "REMORA_APP_PROBES");

    private PodSidecar() {
    }

    /** A setting the pod's environment lacks or gets wrong; its message names the variable. */
    static final class EnvironmentException extends Exception {
        EnvironmentException(String message) {
            super(message, null, false, false);
        }
    }

    /** The Sidecar document for the pod this environment describes. */
    static String yaml(Map<String, String> env) throws EnvironmentException {
        String namespace = required(env, "POD_NAMESPACE");
        String workload = env.getOrDefault("REMORA_WORKLOAD", "");
        if (workload.isEmpty()) {
            workload = required(env, "POD_NAME");
        }
        StringBuilder y = new StringBuilder()
                .append("apiVersion: remora.io/v1\nkind: Sidecar\n")
                .append("metadata: {name: ").append(quote(workload)).append(", namespace: ").append(quote(namespace));
        // The pod's canonical service and revision (the injector passes them), for the app/version metric labels.
        String app = env.getOrDefault("REMORA_CANONICAL_NAME", "");
        String revision = env.getOrDefault("REMORA_CANONICAL_REVISION", "");
        if (!app.isEmpty() || !revision.isEmpty()) {
            y.append(", labels: {");
            if (!app.isEmpty()) {
                y.append("service.istio.io/canonical-name: ").append(quote(app));
            }
            if (!revision.isEmpty()) {
                y.append(app.isEmpty() ? "" : ", ").append("service.istio.io/canonical-revision: ")
                        .append(quote(revision));
            }
            y.append('}');
        }
        y.append("}\nspec:\n")
                .append("  admin: 127.0.0.1:15000\n  metrics: 0.0.0.0:15020\n  health: 0.0.0.0:15021\n")
                .append("  outbound:\n    capture: {enabled: true, listen: 0.0.0.0:15001}\n")
                .append("  inbound:\n    listen: 0.0.0.0:15006\n");
        List<String[]> ports = ports(env.getOrDefault("REMORA_INBOUND_PORTS", ""));
        if (!ports.isEmpty()) {
            y.append("    ports:\n");
            for (String[] p : ports) {
                y.append("      - {port: ").append(p[0]).append(", protocol: ").append(p[1]);
                if (p.length > 2) {
                    y.append(", name: ").append(quote(p[2]));
                }
                y.append("}\n");
            }
        }
        y.append("  controlPlane:\n")
                .append("    address: ").append(quote(env.getOrDefault("REMORA_CONTROL_PLANE_ADDRESS",
                        "remora-control-plane.remora-system.svc:15010"))).append('\n')
                .append("    tokenFile: ").append(quote(env.getOrDefault("REMORA_CONTROL_PLANE_TOKEN_FILE",
                        "/var/run/secrets/remora/tokens/remora-token"))).append('\n')
                .append("    trustBundle: ").append(quote(env.getOrDefault("REMORA_CONTROL_PLANE_TRUST_BUNDLE",
                        "/var/run/remora/ca/root-cert.pem"))).append('\n')
                .append("    stateDir: ").append(quote(env.getOrDefault("REMORA_CONTROL_PLANE_STATE_DIR",
                        "/var/lib/remora"))).append('\n');
        return y.toString();
    }

    /** The environment the Sidecar's overrides are read from: the consumed variables taken out. */
    static Map<String, String> overrides(Map<String, String> env) {
        Map<String, String> rest = new TreeMap<>(env);
        rest.keySet().removeAll(CONSUMED);
        return rest;
    }

    /** {@code 8080/http/web,9000/tcp}: port, protocol, optional name. */
    static List<String[]> ports(String text) throws EnvironmentException {
        List<String[]> out = new ArrayList<>();
        for (String item : text.split(",")) {
            item = item.trim();
            if (item.isEmpty()) {
                continue;
            }
            String[] f = item.split("/", -1);
            if (f.length < 2 || f.length > 3 || !f[0].matches("[0-9]{1,5}") || Integer.parseInt(f[0]) < 1
                    || Integer.parseInt(f[0]) > 65535) {
                throw new EnvironmentException("REMORA_INBOUND_PORTS: got '" + item + "', expected port/protocol[/name]"
                        + " with a port 1-65535, e.g. 8080/http/web,9000/tcp");
            }
            String protocol = f[1].toLowerCase(Locale.ROOT);
            if (!Set.of("http", "http2", "grpc", "tcp").contains(protocol)) {
                throw new EnvironmentException("REMORA_INBOUND_PORTS: got protocol '" + f[1] + "' for port " + f[0]
                        + ", expected http, http2, grpc or tcp");
            }
            out.add(f.length == 3 && !f[2].isEmpty() ? new String[] {f[0], protocol, f[2]}
                    : new String[] {f[0], protocol});
        }
        return out;
    }

    private static String required(Map<String, String> env, String name) throws EnvironmentException {
        String v = env.get(name);
        if (v == null || v.isEmpty()) {
            throw new EnvironmentException(name + " is not set; the injector sets it from the downward API"
                    + " (run `remora inject` on the pod, or set it by hand)");
        }
        return v;
    }

    /** A YAML double-quoted scalar. */
    private static String quote(String s) {
        return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }
}
