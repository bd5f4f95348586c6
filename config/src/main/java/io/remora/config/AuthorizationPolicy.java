package io.remora.config;

import java.util.List;
import java.util.Objects;

/**
 * Who may call a workload (Istio's AuthorizationPolicy, by SPIFFE identity). Policies apply to the inbound traffic
 * of the workloads they name in their namespace (all of the namespace's when they name none). A request matching a
 * DENY policy is refused; otherwise, when ALLOW policies apply to the workload, it must match one of them; with no
 * policy, everything is allowed. Refused → 403 (gRPC PERMISSION_DENIED), flag {@code RBAC}.
 */
public record AuthorizationPolicy(Metadata metadata, Spec spec) implements Resource {
    public AuthorizationPolicy {
        Objects.requireNonNull(metadata, "metadata");
        Objects.requireNonNull(spec, "spec");
    }

    @Override
    public String kind() {
        return "AuthorizationPolicy";
    }

    /** What a matching policy does. */
    public enum Action { ALLOW, DENY }

    /**
     * @param workloads the workloads (Sidecar workload names) of this namespace it applies to; empty: all
     * @param action    ALLOW (default) or DENY
     * @param rules     a request matches the policy when it matches any rule; an ALLOW policy without rules
     *                  matches nothing (so it denies everything), a DENY policy without rules matches nothing
     */
    public record Spec(List<String> workloads, Action action, List<Rule> rules) {
        public Spec {
            workloads = workloads == null ? List.of() : List.copyOf(workloads);
            action = action == null ? Action.ALLOW : action;
            rules = rules == null ? List.of() : List.copyOf(rules);
        }
    }

    /** Both parts must match; a part left out matches every request. */
    public record Rule(Source from, Operation to) {
    }

    /**
     * The caller, from its verified SPIFFE ID (mutual TLS); a plaintext caller matches no listed value. Values match
     * exactly, or as a prefix ({@code spiffe://cluster.local/ns/shop/*}) or suffix ({@code *}/sa/web) with one
     * {@code *}; {@code *} alone matches any authenticated caller.
     *
     * @param principals SPIFFE IDs; any one matching is enough
     * @param namespaces namespaces of the caller's ID ({@code /ns/<namespace>/sa/...}); any one is enough
     */
    public record Source(List<String> principals, List<String> namespaces) {
        public Source {
            principals = principals == null ? List.of() : List.copyOf(principals);
            namespaces = namespaces == null ? List.of() : List.copyOf(namespaces);
        }
    }

    /**
     * What is asked for (HTTP only: a TCP connection never matches a rule that names paths or methods).
     *
     * @param paths   request paths without the query; exact, or with one leading or trailing {@code *}
     * @param methods HTTP methods, exactly
     */
    public record Operation(List<String> paths, List<String> methods) {
        public Operation {
            paths = paths == null ? List.of() : List.copyOf(paths);
            methods = methods == null ? List.of() : List.copyOf(methods);
        }
    }
}
