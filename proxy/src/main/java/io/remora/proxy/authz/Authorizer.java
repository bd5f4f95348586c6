package io.remora.proxy.authz;

import io.remora.certs.SpiffeId;
import io.remora.config.AuthorizationPolicy;

import java.util.ArrayList;
import java.util.List;

/**
 * The authorization policies that apply to this workload's inbound traffic, compiled once per snapshot. Deny wins:
 * a request matching a DENY policy is refused; otherwise, when ALLOW policies exist, it must match one; with no
 * policy, everything passes (and {@link #allowsAll()} lets the caller skip the check).
 */
public final class Authorizer {
    /** No policy applies: everything is allowed. */
    public static final Authorizer ALLOW_ALL = new Authorizer(List.of(), List.of());

    /** Why a request was refused; null fields of a decision mean allowed. */
    public record Denial(String policy, String reason) {
    }

    private final List<CompiledPolicy> deny;
    private final List<CompiledPolicy> allow;

    private Authorizer(List<CompiledPolicy> deny, List<CompiledPolicy> allow) {
        this.deny = deny;
        this.allow = allow;
    }

    /** The policies of {@code namespace} that name {@code workload}, or name no workload. */
    public static Authorizer compile(List<AuthorizationPolicy> policies, String workload, String namespace) {
        List<CompiledPolicy> deny = new ArrayList<>();
        List<CompiledPolicy> allow = new ArrayList<>();
        for (AuthorizationPolicy p : policies) {
            if (!p.metadata().namespace().equals(namespace)) {
                continue;
            }
            if (!p.spec().workloads().isEmpty() && !p.spec().workloads().contains(workload)) {
                continue;
            }
            CompiledPolicy c = CompiledPolicy.of(p);
            (p.spec().action() == AuthorizationPolicy.Action.DENY ? deny : allow).add(c);
        }
        return deny.isEmpty() && allow.isEmpty() ? ALLOW_ALL : new Authorizer(List.copyOf(deny), List.copyOf(allow));
    }

    public boolean allowsAll() {
        return this == ALLOW_ALL;
    }

    /**
     * Checks a request (or, with {@code path} and {@code method} null, a TCP connection).
     *
     * @param peer the caller's verified SPIFFE ID; null for a plaintext caller
     * @return null when allowed, else why not
     */
    public Denial check(SpiffeId peer, String path, String method) {
        return check(peer == null ? null : peer.toString(), peer == null ? null : peer.namespace(), path, method);
    }

    /**
     * As {@link #check(SpiffeId, String, String)}, with the caller's ID and its namespace as text (a connection
     * works them out once for all its requests).
     */
    public Denial check(String principal, String namespace, String path, String method) {
        for (CompiledPolicy p : deny) {
            // A DENY rule that needs HTTP fields also refuses a TCP connection: when unsure, refuse.
            if (p.matches(principal, namespace, path, method, true)) {
                return new Denial(p.name, "matched DENY policy " + p.name);
            }
        }
        if (allow.isEmpty()) {
            return null;
        }
        for (CompiledPolicy p : allow) {
            if (p.matches(principal, namespace, path, method, false)) {
                return null;
            }
        }
        return new Denial(allow.get(0).name, "no ALLOW policy matched"
                + (principal == null ? " (the caller is not authenticated)" : " for " + principal));
    }

    private record CompiledPolicy(String name, CompiledRule[] rules) {
        static CompiledPolicy of(AuthorizationPolicy p) {
            List<AuthorizationPolicy.Rule> rules = p.spec().rules();
            CompiledRule[] compiled = new CompiledRule[rules.size()];
            for (int i = 0; i < compiled.length; i++) {
                compiled[i] = CompiledRule.of(rules.get(i));
            }
            return new CompiledPolicy(p.metadata().qualifiedName(), compiled);
        }

        boolean matches(String principal, String namespace, String path, String method, boolean tcpMatchesHttp) {
            for (CompiledRule r : rules) {
                if (r.matches(principal, namespace, path, method, tcpMatchesHttp)) {
                    return true;
                }
            }
            return false;
        }
    }

    /** Empty arrays mean "any". */
    private record CompiledRule(Pattern[] principals, Pattern[] namespaces, Pattern[] paths, String[] methods) {
        static CompiledRule of(AuthorizationPolicy.Rule r) {
            AuthorizationPolicy.Source from = r.from();
            AuthorizationPolicy.Operation to = r.to();
            return new CompiledRule(
                    from == null ? new Pattern[0] : from.principals().stream().map(Pattern::of).toArray(Pattern[]::new),
                    from == null ? new Pattern[0] : from.namespaces().stream().map(Pattern::of).toArray(Pattern[]::new),
                    to == null ? new Pattern[0] : to.paths().stream().map(Pattern::of).toArray(Pattern[]::new),
                    to == null ? new String[0] : to.methods().toArray(String[]::new));
        }

        boolean matches(String principal, String namespace, String path, String method, boolean tcpMatchesHttp) {
            if (principals.length > 0 && !Pattern.any(principals, principal)) {
                return false;
            }
            if (namespaces.length > 0 && !Pattern.any(namespaces, namespace)) {
                return false;
            }
            boolean tcp = path == null && method == null;
            if (tcp && (paths.length > 0 || methods.length > 0)) {
                return tcpMatchesHttp;
            }
            if (paths.length > 0 && !Pattern.any(paths, path)) {
                return false;
            }
            if (methods.length > 0) {
                for (String m : methods) {
                    if (m.equals(method)) {
                        return true;
                    }
                }
                return false;
            }
            return true;
        }
    }
}
